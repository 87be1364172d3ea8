"""Rendering pages: templates, the forms' CSRF token, flash messages and HTML error pages."""

import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kit.errors import Forbidden, ProblemError, problem_response

WEB_DIRECTORY = Path(__file__).parent
STATIC_DIRECTORY = WEB_DIRECTORY / "static"
templates = Jinja2Templates(directory=str(WEB_DIRECTORY / "templates"))

CSRF_COOKIE = "distribu_csrf"
CSRF_FIELD = "csrf_token"
FLASH_COOKIE = "distribu_flash"

# Flash cookies carry a code, never text: nothing a cookie holds is ever shown as is.
FLASH_MESSAGES = {
    "welcome": ("success", "Welcome to Distribu! Your company is set up and your free trial has started."),
    "signed-in": ("success", "Welcome back."),
    "signed-out": ("info", "You have signed out."),
    "settings-saved": ("success", "Settings saved."),
    "session-expired": ("info", "Your session has ended; sign in again to continue."),
}


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.cookie_secure)


def csrf_token(request: Request) -> str:
    """The double-submit token: the browser's cookie if it has a sane one, else a new one."""
    token = request.cookies.get(CSRF_COOKIE)
    if token and 20 <= len(token) <= 64:
        return token
    token = getattr(request.state, "new_csrf_token", None) or secrets.token_urlsafe(32)
    request.state.new_csrf_token = token
    return token


async def verified_form(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token matches the cookie; 403 otherwise."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not cookie or not secrets.compare_digest(sent.encode(), cookie.encode()):
        raise Forbidden("This form has expired or did not come from Distribu. Reload the page and try again.")
    return {key: value for key, value in form.items() if isinstance(value, str)}


def flash(response: Response, code: str) -> None:
    response.set_cookie(FLASH_COOKIE, code, max_age=60, path="/", httponly=True, samesite="lax")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    values: dict[str, Any] = {"csrf_token": csrf_token(request), "flash": None, **(context or {})}
    code = request.cookies.get(FLASH_COOKIE)
    if code in FLASH_MESSAGES:
        kind, text = FLASH_MESSAGES[code]
        values["flash"] = {"kind": kind, "text": text}
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    if code is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    new_token = getattr(request.state, "new_csrf_token", None)
    if new_token:
        response.set_cookie(CSRF_COOKIE, new_token, path="/", httponly=True, samesite="lax", secure=_secure(request))
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
