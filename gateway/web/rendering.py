"""Rendering pages: templates, the forms' CSRF token, flash messages and HTML error pages."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gateway import csrf
from kit.errors import ProblemError, problem_response

WEB_DIRECTORY = Path(__file__).parent
STATIC_DIRECTORY = WEB_DIRECTORY / "static"
templates = Jinja2Templates(directory=str(WEB_DIRECTORY / "templates"))

FLASH_COOKIE = "distribu_flash"

# Flash cookies carry a code, never text: nothing a cookie holds is ever shown as is.
FLASH_MESSAGES = {
    "welcome": ("success", "Welcome to Distribu! Your company is set up and your free trial has started."),
    "signed-in": ("success", "Welcome back."),
    "signed-out": ("info", "You have signed out."),
    "settings-saved": ("success", "Settings saved."),
    "company-deleted": (
        "info",
        "Your company has been deleted and everyone on its team signed out. Its storefront address is free again.",
    ),
    "customer-created": ("success", "Customer added. They set a password at your storefront's setup-password page."),
    "customer-saved": ("success", "Customer saved."),
    "customer-deleted": ("success", "Customer deleted, with its contacts and addresses."),
    "contact-added": ("success", "Contact added. Send them the setup-password link so they can sign in."),
    "contact-role-changed": ("success", "Role changed. It applies on the contact's next request."),
    "contact-removed": ("success", "Contact removed. They can no longer sign in."),
    "address-added": ("success", "Address added."),
    "address-saved": ("success", "Address saved."),
    "address-default": ("success", "Default address changed."),
    "address-deleted": ("success", "Address deleted."),
    "member-role-changed": ("success", "Role changed. It applies on their next request."),
    "member-removed": ("success", "Removed from the team."),
    "ownership-transferred": ("success", "Ownership transferred. You are now an admin."),
    "invite-revoked": ("success", "Invite revoked. Its link no longer works."),
    "invite-accepted": ("success", "Welcome aboard! You have joined the team."),
    "api-key-revoked": ("success", "API key revoked. Calls made with it are refused from now on."),
    "session-expired": ("info", "Your session has ended; sign in again to continue."),
    "store-password-set": ("success", "Your password is set. Sign in to continue."),
    "store-address-added": ("success", "Address added."),
    "store-address-saved": ("success", "Address saved."),
    "store-address-default": ("success", "Default address changed."),
    "store-address-deleted": ("success", "Address deleted."),
    "store-contact-added": ("success", "Contact added. Tell them to set their password on the setup-password page."),
    "store-contact-role": ("success", "Role changed. It applies on the contact's next request."),
    "store-contact-removed": ("success", "Contact removed. They can no longer sign in."),
    "product-created": ("success", "Product added."),
    "product-saved": ("success", "Product saved."),
    "product-archived": ("success", "Product archived. It is off your storefront and frees a place in your plan."),
    "product-restored": ("success", "Product restored. It is back on your storefront."),
    "product-deleted": ("success", "Product deleted, with its customers' prices."),
    "price-set": ("success", "Price set. The customer and all its contacts pay it from now on."),
    "price-changed": ("success", "Price changed."),
    "price-removed": ("success", "Price removed. The customer pays the list price again."),
}


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.cookie_secure)


async def verified_form(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token is its session's (the cookie's before sign-in); 403 otherwise."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    csrf.require_form_field(request, fields)
    return fields


def flash(response: Response, code: str) -> None:
    response.set_cookie(FLASH_COOKIE, code, max_age=60, path="/", httponly=True, samesite="lax")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    values: dict[str, Any] = {"csrf_token": csrf.token_for(request), "flash": None, **(context or {})}
    code = request.cookies.get(FLASH_COOKIE)
    if code in FLASH_MESSAGES:
        kind, text = FLASH_MESSAGES[code]
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
