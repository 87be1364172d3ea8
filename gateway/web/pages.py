"""The web UI's routes. Each page calls the public API through the gateway's own pipeline, no rules here."""

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from gateway.pipeline import Caller, Gateway
from gateway.sessions import StaffSession
from gateway.web.rendering import flash, render, verified_form
from kit.errors import ProblemError

router = APIRouter(include_in_schema=False)

AUDIT_PAGE_SIZE = 25


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


@dataclass
class ApiResult:
    """A service's answer as a page needs it: status, JSON body, and a session if one was opened."""

    status: int
    body: Any
    new_session: StaffSession | None = None
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
                errors[name] = _sentence(str(item.get("message", "")))
        return errors


async def _api(
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
    return ApiResult(outcome.response.status_code, body, outcome.new_session)


def _problem(result: ApiResult) -> ProblemError:
    """A failed call a page cannot recover from, re-raised with the service's status and detail."""
    error = ProblemError(result.detail)
    error.status = result.status if 400 <= result.status < 600 else 502
    error.title = str(result.body.get("title", error.title)) if isinstance(result.body, dict) else error.title
    return error


def _sentence(message: str) -> str:
    message = message.strip()
    if message.lower().startswith("value error, "):
        message = message[len("value error, ") :]
    return message[:1].upper() + message[1:] if message else "This value is not valid."


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _safe_next(value: str | None) -> str:
    """Only same-site paths: `next` must never send a signed-in user to another host."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and "\n" not in value:
        return value
    return "/dashboard"


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return _redirect("/login?" + urlencode({"next": target}))


def _signed_in(gateway: Gateway, response: Response, session: StaffSession | None) -> Response:
    if session is not None:
        gateway.set_session_cookie(response, session)
    return response


# -- entry ----------------------------------------------------------------------------------


@router.get("/")
async def home(request: Request) -> Response:
    caller = await _gateway(request).identify(request)
    return _redirect("/dashboard" if caller.is_staff else "/login")


# -- signup, login, logout ------------------------------------------------------------------

SIGNUP_FIELDS = {"companyName": "company_name", "name": "name", "email": "email", "password": "password"}
LOGIN_FIELDS = {"email": "email", "password": "password"}


@router.get("/signup")
async def signup_page(request: Request) -> Response:
    caller = await _gateway(request).identify(request)
    if caller.is_staff:
        return _redirect("/dashboard")
    return render(request, "signup.html", {"values": {}, "errors": {}})


@router.post("/signup")
async def signup(request: Request) -> Response:
    gateway = _gateway(request)
    form = await verified_form(request)
    caller = await gateway.identify(request)
    values = {name: form.get(name, "") for name in SIGNUP_FIELDS.values()}
    result = await _api(
        gateway,
        caller,
        "POST",
        "/api/v1/signup",
        json_body={
            "companyName": values["company_name"],
            "name": values["name"],
            "email": values["email"],
            "password": values["password"],
        },
    )
    if result.ok and result.new_session is not None:
        response = _redirect("/dashboard")
        flash(response, "welcome")
        return _signed_in(gateway, response, result.new_session)
    values["password"] = ""
    errors = result.field_errors(SIGNUP_FIELDS)
    context = {"values": values, "errors": errors, "error": _banner(result, errors)}
    return render(request, "signup.html", context, status_code=_page_status(result.status))


@router.get("/login")
async def login_page(request: Request) -> Response:
    caller = await _gateway(request).identify(request)
    next_path = _safe_next(request.query_params.get("next"))
    if caller.is_staff:
        return _redirect(next_path)
    return render(request, "login.html", {"values": {}, "errors": {}, "next": next_path})


@router.post("/login")
async def login(request: Request) -> Response:
    gateway = _gateway(request)
    form = await verified_form(request)
    caller = await gateway.identify(request)
    next_path = _safe_next(form.get("next"))
    email = form.get("email", "")
    result = await _api(
        gateway, caller, "POST", "/api/v1/auth/login", json_body={"email": email, "password": form.get("password", "")}
    )
    if result.ok and result.new_session is not None:
        signed_in = _redirect(next_path)
        flash(signed_in, "signed-in")
        return _signed_in(gateway, signed_in, result.new_session)
    errors = result.field_errors(LOGIN_FIELDS)
    context = {
        "values": {"email": email},
        "errors": errors,
        "error": _banner(result, errors),
        "next": next_path,
    }
    response = render(request, "login.html", context, status_code=_page_status(result.status))
    if "Retry-After" in result.headers:
        response.headers["Retry-After"] = result.headers["Retry-After"]
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    gateway = _gateway(request)
    await verified_form(request)
    caller = await gateway.identify(request)
    await gateway.end_session(caller)
    response = _redirect("/login")
    gateway.clear_session_cookie(response)
    flash(response, "signed-out")
    return response


def _banner(result: ApiResult, field_errors: dict[str, str]) -> str:
    # Malformed input is explained on each field; the banner only points there.
    if result.status == 422 and field_errors:
        return "Please correct the fields marked below."
    return result.detail


def _page_status(api_status: int) -> int:
    # A refused form is re-shown with the API's status, so tests and proxies see what happened.
    return api_status if 400 <= api_status < 600 else 400


# -- dashboard ------------------------------------------------------------------------------


async def _dashboard_frame(
    request: Request, gateway: Gateway, caller: Caller, active: str
) -> dict[str, Any] | Response:
    """What every dashboard page shows around its content: who is signed in, the nav they may use."""
    me = await _api(gateway, caller, "GET", "/api/v1/me")
    if me.status == 401:
        return _to_login(request)
    if not me.ok:
        raise _problem(me)
    role = caller.role
    return {
        "me": me.body,
        "active": active,
        "nav": {
            "settings": gateway.routes.staff_role_may(role, "PATCH", "/api/v1/company"),
            "audit_log": gateway.routes.staff_role_may(role, "GET", "/api/v1/audit-logs"),
        },
    }


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    gateway = _gateway(request)
    caller = await gateway.identify(request)
    if not caller.is_staff:
        return _to_login(request)
    frame, company, subscription = await asyncio.gather(
        _dashboard_frame(request, gateway, caller, "overview"),
        _api(gateway, caller, "GET", "/api/v1/company"),
        _api(gateway, caller, "GET", "/api/v1/subscription"),
    )
    if isinstance(frame, Response):
        return frame
    if not company.ok:
        raise _problem(company)
    public_url = str(request.app.state.settings.public_url).rstrip("/")
    context = {
        **frame,
        "company": company.body,
        "storefront_url": f"{public_url}/store/{company.body['slug']}",
        "subscription": subscription.body if subscription.ok else None,
        "subscription_error": None if subscription.ok else subscription.detail,
    }
    return render(request, "dashboard.html", context)


SETTINGS_FIELDS = {"name": "name", "slug": "slug"}


@router.get("/dashboard/settings")
async def settings_page(request: Request) -> Response:
    gateway = _gateway(request)
    caller = await gateway.identify(request)
    if not caller.is_staff:
        return _to_login(request)
    frame, company = await asyncio.gather(
        _dashboard_frame(request, gateway, caller, "settings"), _api(gateway, caller, "GET", "/api/v1/company")
    )
    if isinstance(frame, Response):
        return frame
    if not company.ok:
        raise _problem(company)
    values = {"name": company.body["name"], "slug": company.body["slug"]}
    return render(request, "settings.html", {**frame, **_settings_context(request, values, company.body)})


@router.post("/dashboard/settings")
async def save_settings(request: Request) -> Response:
    gateway = _gateway(request)
    form = await verified_form(request)
    caller = await gateway.identify(request)
    if not caller.is_staff:
        return _to_login(request)
    values = {"name": form.get("name", ""), "slug": form.get("slug", "")}
    result = await _api(gateway, caller, "PATCH", "/api/v1/company", json_body=values)
    if result.ok:
        response = _redirect("/dashboard/settings")
        flash(response, "settings-saved")
        return response
    frame, company = await asyncio.gather(
        _dashboard_frame(request, gateway, caller, "settings"), _api(gateway, caller, "GET", "/api/v1/company")
    )
    if isinstance(frame, Response):
        return frame
    errors = result.field_errors(SETTINGS_FIELDS)
    context = {
        **frame,
        **_settings_context(request, values, company.body if company.ok else values),
        "errors": errors,
        "error": _banner(result, errors),
    }
    return render(request, "settings.html", context, status_code=_page_status(result.status))


def _settings_context(request: Request, values: dict[str, str], company: dict[str, Any]) -> dict[str, Any]:
    public_url = str(request.app.state.settings.public_url).rstrip("/")
    return {"values": values, "errors": {}, "company": company, "store_base": f"{public_url}/store/"}


@router.get("/dashboard/audit-log")
async def audit_log(request: Request) -> Response:
    gateway = _gateway(request)
    caller = await gateway.identify(request)
    if not caller.is_staff:
        return _to_login(request)
    cursor = request.query_params.get("cursor")
    query = {"limit": str(AUDIT_PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
    frame, page = await asyncio.gather(
        _dashboard_frame(request, gateway, caller, "audit_log"),
        _api(gateway, caller, "GET", "/api/v1/audit-logs", query=urlencode(query)),
    )
    if isinstance(frame, Response):
        return frame
    context = {
        **frame,
        "entries": page.body.get("items", []) if page.ok else [],
        "next_cursor": page.body.get("nextCursor") if page.ok else None,
        "first_page": cursor is None,
        "error": None if page.ok else page.detail,
    }
    return render(request, "audit_log.html", context, status_code=200 if page.ok else _page_status(page.status))


# -- storefront -----------------------------------------------------------------------------


@router.get("/store/{slug}")
async def storefront(request: Request, slug: str) -> Response:
    caller = await _gateway(request).identify(request, slug=slug)
    return render(request, "store_landing.html", {"store": caller.storefront})


@router.get("/store/{slug}/catalog")
@router.get("/store/{slug}/login")
async def storefront_coming_soon(request: Request, slug: str) -> Response:
    caller = await _gateway(request).identify(request, slug=slug)
    what = "catalog" if request.url.path.endswith("/catalog") else "sign-in"
    return render(request, "store_coming_soon.html", {"store": caller.storefront, "what": what})
