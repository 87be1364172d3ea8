"""What every page shares: calling the public API through the gateway's pipeline, and reading its answers."""

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from gateway.pipeline import Caller, Gateway
from gateway.sessions import StoredSession
from kit.errors import NotFound, ProblemError


@dataclass
class FormState:
    """One form of a page as it is shown again: the user's input, its errors, and whether it is unfolded."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    open: bool = False


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


class SignInFirst(Exception):
    """A dashboard page asked for by someone not signed in as staff: they are sent to sign in."""


async def staff_caller(request: Request) -> tuple[Gateway, Caller]:
    """The gateway and the signed-in staff member; anyone else is redirected to `/login` (SignInFirst)."""
    gateway = gateway_of(request)
    caller = await gateway.identify(request)
    if not caller.is_staff:
        raise SignInFirst
    return gateway, caller


def install_sign_in_redirect(app: FastAPI) -> None:
    async def sign_in_first(request: Request, exc: Exception) -> Response:
        return to_login(request)

    app.add_exception_handler(SignInFirst, sign_in_first)


@dataclass
class ApiResult:
    """A service's answer as a page needs it: status, JSON body, and a session if one was opened."""

    status: int
    body: Any
    new_session: StoredSession | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        if isinstance(self.body, dict) and self.body.get("detail"):
            return str(self.body["detail"])
        return "Something went wrong on our side; please try again."

    def field_errors(self, fields: dict[str, str]) -> dict[str, str]:
        """API validation errors keyed by form field (`fields` maps API names to form names)."""
        errors: dict[str, str] = {}
        items = self.body.get("errors") if isinstance(self.body, dict) else None
        for item in items or []:
            name = fields.get(str(item.get("field", "")))
            if name and name not in errors:
                errors[name] = sentence(str(item.get("message", "")))
        return errors


async def api(
    gateway: Gateway, caller: Caller, method: str, path: str, *, json_body: Any = None, query: str = ""
) -> ApiResult:
    try:
        outcome = await gateway.call(caller, method, path, json_body=json_body, query=query)
    except ProblemError as error:
        return ApiResult(error.status, error.to_problem(path), headers=error.headers)
    try:
        body = outcome.response.json() if outcome.response.content else None
    except ValueError:
        body = None
    # A refusal's Retry-After (an account's sign-in backoff, answered by identity) reaches the page's answer too.
    retry_after = outcome.response.headers.get("retry-after")
    headers = {"Retry-After": retry_after} if retry_after else {}
    return ApiResult(outcome.response.status_code, body, outcome.new_session, headers=headers)


def problem(result: ApiResult) -> ProblemError:
    """A failed call a page cannot recover from, re-raised with the service's status and detail."""
    error = ProblemError(result.detail)
    error.status = result.status if 400 <= result.status < 600 else 502
    error.title = str(result.body.get("title", error.title)) if isinstance(result.body, dict) else error.title
    return error


def sentence(message: str) -> str:
    message = message.strip()
    if message.lower().startswith("value error, "):
        message = message[len("value error, ") :]
    return message[:1].upper() + message[1:] if message else "This value is not valid."


def id_or_404(value: str, what: str) -> str:
    """A path segment as an id; anything that is not one is a page that does not exist."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(f"There is no such {what}.") from None


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None) -> str:
    """Only same-site paths: `next` must never send a signed-in user to another host."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and "\n" not in value:
        return value
    return "/dashboard"


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect("/login?" + urlencode({"next": target}))


def signed_in(gateway: Gateway, caller: Caller, response: Response, session: StoredSession | None) -> Response:
    if session is not None:
        gateway.set_session_cookie(response, session, caller)
    return response


def banner(result: ApiResult, field_errors: dict[str, str]) -> str:
    # Malformed input is explained on each field; the banner only points there.
    if result.status == 422 and field_errors:
        return "Please correct the fields marked below."
    return result.detail


def page_status(api_status: int) -> int:
    # A refused form is re-shown with the API's status, so tests and proxies see what happened.
    return api_status if 400 <= api_status < 600 else 400


async def dashboard_frame(request: Request, gateway: Gateway, caller: Caller, active: str) -> dict[str, Any] | Response:
    """What every dashboard page shows around its content: who is signed in, the nav they may use."""
    me = await api(gateway, caller, "GET", "/api/v1/me")
    if me.status == 401:
        return to_login(request)
    if not me.ok:
        raise problem(me)
    role = caller.role
    return {
        "me": me.body,
        "active": active,
        "nav": {
            "settings": gateway.routes.staff_role_may(role, "PATCH", "/api/v1/company"),
            "audit_log": gateway.routes.staff_role_may(role, "GET", "/api/v1/audit-logs"),
            "customers": gateway.routes.staff_role_may(role, "GET", "/api/v1/customers"),
            "products": gateway.routes.staff_role_may(role, "GET", "/api/v1/products"),
            "team": gateway.routes.staff_role_may(role, "GET", "/api/v1/members"),
            "api_keys": gateway.routes.staff_role_may(role, "GET", "/api/v1/api-keys"),
        },
    }
