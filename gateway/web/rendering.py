"""Rendering pages: templates, the forms' CSRF token, flash messages and HTML error pages."""

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from contracts.addresses import address_lines
from gateway import csrf
from gateway.web.addresses import address_form_layout, country_choices
from gateway.web.documents import days_until, document_kind, expiry_in_words, file_size
from gateway.web.money import format_money, is_below, money_html
from kit.errors import PROBLEM_CONTENT_TYPE, allowed_methods

logger = logging.getLogger(__name__)

WEB_DIRECTORY = Path(__file__).parent
STATIC_DIRECTORY = WEB_DIRECTORY / "static"
templates = Jinja2Templates(directory=str(WEB_DIRECTORY / "templates"))
# Money, addresses and documents as people read them, on every page: `_money.html`'s macro, the address
# partials and `_documents.html`.
templates.env.globals.update(
    format_money=money_html,
    money_text=format_money,
    price_is_below=is_below,
    address_lines=address_lines,
    address_form_layout=address_form_layout,
    new_form_key=lambda: uuid.uuid4().hex,
    country_choices=country_choices,
    file_size=file_size,
    document_kind=document_kind,
    days_until=days_until,
    expiry_in_words=expiry_in_words,
)

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


_SECTION = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


def flash(response: Response, code: str, section: str | None = None) -> None:
    """Sets the message shown by the next page; with a `section` (the id of one of its sections, where the
    action happened), the page shows it inside that section instead of at its top."""
    if code not in _FLASH_MESSAGES:
        raise KeyError(f"no flash message is registered as {code!r}")
    if section is not None and not _SECTION.match(section):
        raise ValueError(f"not a section id: {section!r}")
    value = f"{code}:{section}" if section else code
    response.set_cookie(FLASH_COOKIE, value, max_age=60, path="/", httponly=True, samesite="lax")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    values: dict[str, Any] = {"csrf_token": csrf.token_for(request), "flash": None, **(context or {})}
    cookie = request.cookies.get(FLASH_COOKIE)
    code, _, section = (cookie or "").partition(":")
    if code in _FLASH_MESSAGES:
        kind, text = _FLASH_MESSAGES[code]
        # A section the page shows it in (`_section_flash.html`); only a well-formed id is ever matched.
        values["flash"] = {"kind": kind, "text": text, "section": section if _SECTION.match(section) else None}
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    if cookie is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    csrf.set_cookie(request, response, secure=_secure(request))
    return response


def _is_page(request: Request) -> bool:
    path = request.url.path
    is_api = path == "/api" or path.startswith("/api/") or "/api/" in path or path.endswith("/api")
    is_asset = path.startswith("/static/") or path in ("/healthz", "/readyz")
    return not (is_api or is_asset)


# What a person sees for each status, whatever the raised error called it; the API's detail stays below it.
_PAGE_TITLES = {
    400: "This request could not be read",
    401: "Sign in to continue",
    403: "No access to this page",
    404: "Page not found",
    405: "This address cannot be opened directly",
    409: "This could not be done",
    429: "Too many attempts",
}
# Starlette's own errors (no route, wrong method) carry only their status phrase as detail.
_ROUTING_DETAILS = {
    404: "There is no page at this address. It may have moved, or the link may be mistyped.",
    405: "This address only takes a form's post.",
}
_STORE_PATH = re.compile(r"^/store/(?P<slug>[^/]+)(/|$)")

ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


def install_page_errors(app: FastAPI) -> None:
    """Pages answer every error with an HTML page in their own frame; the API keeps problem+json.

    Call it once every other exception handler is installed: each is wrapped, so the problem it answers (its
    status, title, detail, and headers such as Retry-After or Allow) is what the page shows, logged as before.
    """
    for kind, handler in list(app.exception_handlers.items()):
        app.add_exception_handler(kind, _for_pages(handler))


def _for_pages(handler: Any) -> ExceptionHandler:
    async def handle(request: Request, exc: Exception) -> Response:
        answer: Response = await handler(request, exc)
        if not _is_page(request) or answer.media_type != PROBLEM_CONTENT_TYPE:
            return answer
        if answer.status_code == 405 and request.method in ("GET", "HEAD"):
            # A form's address opened from the address bar (a reload after a refused post): the page it belongs to.
            return RedirectResponse(_nearest_page(request), status_code=303)
        body = json.loads(bytes(answer.body))
        status = answer.status_code
        routing = isinstance(exc, StarletteHTTPException) and status in _ROUTING_DETAILS
        context = {
            "status": status,
            "title": _PAGE_TITLES.get(status, "Something went wrong" if status >= 500 else str(body["title"])),
            "detail": _ROUTING_DETAILS[status] if routing else str(body.get("detail") or ""),
        }
        response = await _error_page(request, context, status)
        for name in ("retry-after", "allow"):
            if name in answer.headers:
                response.headers[name] = answer.headers[name]
        return response

    return handle


def _nearest_page(request: Request) -> str:
    """The closest address above this one that a browser may open (a form's page), else the site's root."""
    parts = request.url.path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/".join(parts) or "/"
        if "GET" in allowed_methods(request.app.router.routes, {**request.scope, "path": candidate}):
            return candidate
    return "/"


async def _error_page(request: Request, context: dict[str, Any], status: int) -> HTMLResponse:
    """The error in its area's frame: a storefront's own header, or the dashboard's for signed-in staff;
    the bare frame when the area's cannot be had (an unknown storefront, no session, a failing dependency)."""
    template, frame = "error.html", dict[str, Any]()
    try:
        template, frame = await _frame_of(request)
    except Exception:  # the error page must render even when its frame cannot
        logger.warning("error page without its frame", extra={"path": request.url.path}, exc_info=True)
    return render(request, template, {**frame, **context}, status_code=status)


async def _frame_of(request: Request) -> tuple[str, dict[str, Any]]:
    # Imported here: the areas' frames build on the page client and forms, which build on this module.
    from gateway.web.client import PageClient, gateway_of
    from gateway.web.dashboard.frame import dashboard_frame
    from gateway.web.storefront.frame import store_frame

    path = request.url.path
    gateway = gateway_of(request)
    if match := _STORE_PATH.match(path):
        client = PageClient(gateway, await gateway.identify(request, slug=match["slug"]))
        return "store_error.html", await store_frame(client)
    if path == "/dashboard" or path.startswith("/dashboard/"):
        caller = await gateway.identify(request)
        if caller.is_staff:
            frame = await dashboard_frame(request, PageClient(gateway, caller), active="")
            if isinstance(frame, dict):
                return "dashboard_error.html", frame
    return "error.html", {}
