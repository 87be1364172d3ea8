"""Rendering pages: templates, the forms' CSRF token, flash messages and HTML error pages."""

from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gateway import csrf
from kit.errors import ProblemError, problem_response

WEB_DIRECTORY = Path(__file__).parent
STATIC_DIRECTORY = WEB_DIRECTORY / "static"
templates = Jinja2Templates(directory=str(WEB_DIRECTORY / "templates"))

FLASH_COOKIE = "distribu_flash"

# Flash cookies carry a code, never text: nothing a cookie holds is ever shown as is. Each area registers
# its own messages (`flash_messages`); a code is registered once.
Flash = tuple[Literal["success", "info"], str]
_FLASH_MESSAGES: dict[str, Flash] = {}


def flash_messages(messages: dict[str, Flash]) -> None:
    """Registers an area's flash messages by code."""
    taken = _FLASH_MESSAGES.keys() & messages.keys()
    if taken:
        raise ValueError(f"flash codes registered twice: {sorted(taken)}")
    _FLASH_MESSAGES.update(messages)


def registered_flash_codes() -> set[str]:
    return set(_FLASH_MESSAGES)


# Shared by the dashboard and every storefront.
flash_messages(
    {
        "signed-in": ("success", "Welcome back."),
        "signed-out": ("info", "You have signed out."),
        "session-expired": ("info", "Your session has ended; sign in again to continue."),
    }
)


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.cookie_secure)


def flash(response: Response, code: str) -> None:
    if code not in _FLASH_MESSAGES:
        raise KeyError(f"no flash message is registered as {code!r}")
    response.set_cookie(FLASH_COOKIE, code, max_age=60, path="/", httponly=True, samesite="lax")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    values: dict[str, Any] = {"csrf_token": csrf.token_for(request), "flash": None, **(context or {})}
    code = request.cookies.get(FLASH_COOKIE)
    if code in _FLASH_MESSAGES:
        kind, text = _FLASH_MESSAGES[code]
        values["flash"] = {"kind": kind, "text": text}
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    if code is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    csrf.set_cookie(request, response, secure=_secure(request))
    return response


def _is_page(request: Request) -> bool:
    path = request.url.path
    is_api = path == "/api" or path.startswith("/api/") or "/api/" in path or path.endswith("/api")
    return not is_api


def install_page_errors(app: FastAPI) -> None:
    """Pages answer errors with an HTML page; the API keeps problem+json (kit's handler)."""

    async def handle_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        if not _is_page(request):
            return problem_response(exc.to_problem(request.url.path), exc.headers)
        context = {"status": exc.status, "title": exc.title, "detail": exc.detail}
        response = render(request, "error.html", context, status_code=exc.status)
        for name, value in exc.headers.items():
            response.headers[name] = value
        return response

    app.add_exception_handler(ProblemError, handle_problem)
