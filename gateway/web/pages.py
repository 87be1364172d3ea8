"""The web UI's routes. Each page calls the public API through the gateway's own pipeline, no rules here."""

import asyncio
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.pipeline import Caller, Gateway
from gateway.web.calls import (
    api,
    banner,
    dashboard_frame,
    gateway_of,
    page_status,
    problem,
    redirect,
    safe_next,
    signed_in,
    staff_caller,
)
from gateway.web.rendering import flash, render, verified_form

router = APIRouter(include_in_schema=False)

AUDIT_PAGE_SIZE = 25


# -- entry ----------------------------------------------------------------------------------


@router.get("/")
async def home(request: Request) -> Response:
    caller = await gateway_of(request).identify(request)
    return redirect("/dashboard" if caller.is_staff else "/login")


# -- signup, login, logout ------------------------------------------------------------------

SIGNUP_FIELDS = {"companyName": "company_name", "name": "name", "email": "email", "password": "password"}
LOGIN_FIELDS = {"email": "email", "password": "password"}


@router.get("/signup")
async def signup_page(request: Request) -> Response:
    caller = await gateway_of(request).identify(request)
    if caller.is_staff:
        return redirect("/dashboard")
    return render(request, "signup.html", {"values": {}, "errors": {}})


@router.post("/signup")
async def signup(request: Request) -> Response:
    gateway = gateway_of(request)
    form = await verified_form(request)
    caller = await gateway.identify(request)
    values = {name: form.get(name, "") for name in SIGNUP_FIELDS.values()}
    result = await api(
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
        response = redirect("/dashboard")
        flash(response, "welcome")
        return signed_in(gateway, caller, response, result.new_session)
    values["password"] = ""
    errors = result.field_errors(SIGNUP_FIELDS)
    context = {"values": values, "errors": errors, "error": banner(result, errors)}
    return render(request, "signup.html", context, status_code=page_status(result.status))


@router.get("/login")
async def login_page(request: Request) -> Response:
    caller = await gateway_of(request).identify(request)
    next_path = safe_next(request.query_params.get("next"))
    if caller.is_staff:
        return redirect(next_path)
    return render(request, "login.html", {"values": {}, "errors": {}, "next": next_path})


@router.post("/login")
async def login(request: Request) -> Response:
    gateway = gateway_of(request)
    form = await verified_form(request)
    caller = await gateway.identify(request)
    next_path = safe_next(form.get("next"))
    email = form.get("email", "")
    result = await api(
        gateway, caller, "POST", "/api/v1/auth/login", json_body={"email": email, "password": form.get("password", "")}
    )
    if result.ok and result.new_session is not None:
        welcome_back = redirect(next_path)
        flash(welcome_back, "signed-in")
        return signed_in(gateway, caller, welcome_back, result.new_session)
    errors = result.field_errors(LOGIN_FIELDS)
    context = {
        "values": {"email": email},
        "errors": errors,
        "error": banner(result, errors),
        "next": next_path,
    }
    response = render(request, "login.html", context, status_code=page_status(result.status))
    if "Retry-After" in result.headers:
        response.headers["Retry-After"] = result.headers["Retry-After"]
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    gateway = gateway_of(request)
    await verified_form(request)
    caller = await gateway.identify(request)
    await gateway.end_session(caller)
    response = redirect("/login")
    gateway.clear_session_cookie(response, caller)
    flash(response, "signed-out")
    return response


# -- dashboard ------------------------------------------------------------------------------


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    gateway, caller = await staff_caller(request)
    frame, company, subscription = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "overview"),
        api(gateway, caller, "GET", "/api/v1/company"),
        api(gateway, caller, "GET", "/api/v1/subscription"),
    )
    if isinstance(frame, Response):
        return frame
    if not company.ok:
        raise problem(company)
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
STOREFRONT_FIELDS = {"currency": "currency", "showPricesToGuests": "show_prices_to_guests"}
DELETE_COMPANY_FIELDS = {"confirmSlug": "confirm_slug"}


@router.get("/dashboard/settings")
async def settings_page(request: Request) -> Response:
    gateway, caller = await staff_caller(request)
    frame, company = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "settings"), api(gateway, caller, "GET", "/api/v1/company")
    )
    if isinstance(frame, Response):
        return frame
    if not company.ok:
        raise problem(company)
    values = {"name": company.body["name"], "slug": company.body["slug"]}
    context = _settings_context(request, gateway, caller, values, company.body)
    return render(request, "settings.html", {**frame, **context})


@router.post("/dashboard/settings")
async def save_settings(request: Request) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    values = {"name": form.get("name", ""), "slug": form.get("slug", "")}
    result = await api(gateway, caller, "PATCH", "/api/v1/company", json_body=values)
    if result.ok:
        response = redirect("/dashboard/settings")
        flash(response, "settings-saved")
        return response
    frame, company = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "settings"), api(gateway, caller, "GET", "/api/v1/company")
    )
    if isinstance(frame, Response):
        return frame
    errors = result.field_errors(SETTINGS_FIELDS)
    context = {
        **frame,
        **_settings_context(request, gateway, caller, values, company.body if company.ok else values),
        "errors": errors,
        "error": banner(result, errors),
    }
    return render(request, "settings.html", context, status_code=page_status(result.status))


@router.post("/dashboard/settings/storefront")
async def save_storefront_settings(request: Request) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    # An unticked checkbox is not posted at all: its absence is the "off" the user chose.
    values = {
        "currency": form.get("currency", ""),
        "show_prices_to_guests": "on" if form.get("show_prices_to_guests") else "",
    }
    body = {"currency": values["currency"], "showPricesToGuests": bool(values["show_prices_to_guests"])}
    result = await api(gateway, caller, "PATCH", "/api/v1/company", json_body=body)
    if result.ok:
        response = redirect("/dashboard/settings#storefront")
        flash(response, "settings-saved")
        return response
    frame, company = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "settings"), api(gateway, caller, "GET", "/api/v1/company")
    )
    if isinstance(frame, Response):
        return frame
    if not company.ok:
        raise problem(company)
    errors = result.field_errors(STOREFRONT_FIELDS)
    general = {"name": company.body["name"], "slug": company.body["slug"]}
    context = {
        **frame,
        **_settings_context(request, gateway, caller, general, company.body),
        "storefront": {"values": values, "errors": errors},
        "error": banner(result, errors),
    }
    return render(request, "settings.html", context, status_code=page_status(result.status))


@router.post("/dashboard/settings/delete-company")
async def delete_company(request: Request) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    values = {"confirm_slug": form.get("confirm_slug", "")}
    result = await api(gateway, caller, "DELETE", "/api/v1/company", json_body={"confirmSlug": values["confirm_slug"]})
    if result.ok:
        # Identity has ended every session of the company with it; this browser's cookie goes too.
        await gateway.end_session(caller)
        response = redirect("/login")
        gateway.clear_session_cookie(response, caller)
        flash(response, "company-deleted")
        return response
    frame, company = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "settings"), api(gateway, caller, "GET", "/api/v1/company")
    )
    if isinstance(frame, Response):
        return frame
    if not company.ok:
        raise problem(company)
    errors = result.field_errors(DELETE_COMPANY_FIELDS)
    if not errors and result.status in (400, 409, 422):
        # A slug that is not the company's: said where it was typed.
        errors["confirm_slug"] = result.detail
    general = {"name": company.body["name"], "slug": company.body["slug"]}
    context = {
        **frame,
        **_settings_context(request, gateway, caller, general, company.body),
        "danger": {"values": values, "errors": errors},
        "error": banner(result, errors),
    }
    return render(request, "settings.html", context, status_code=page_status(result.status))


def _settings_context(
    request: Request, gateway: Gateway, caller: Caller, values: dict[str, str], company: dict[str, Any]
) -> dict[str, Any]:
    public_url = str(request.app.state.settings.public_url).rstrip("/")
    storefront = {
        "currency": str(company.get("currency") or ""),
        "show_prices_to_guests": "on" if company.get("showPricesToGuests") else "",
    }
    return {
        "values": values,
        "errors": {},
        "company": company,
        "store_base": f"{public_url}/store/",
        "storefront": {"values": storefront, "errors": {}},
        # The Danger zone is shown only to whom the API lets delete the company (the owner).
        "can_delete_company": gateway.routes.staff_role_may(caller.role, "DELETE", "/api/v1/company"),
        "danger": {"values": {}, "errors": {}},
    }


@router.get("/dashboard/audit-log")
async def audit_log(request: Request) -> Response:
    gateway, caller = await staff_caller(request)
    cursor = request.query_params.get("cursor")
    query = {"limit": str(AUDIT_PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
    frame, page = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "audit_log"),
        api(gateway, caller, "GET", "/api/v1/audit-logs", query=urlencode(query)),
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
    return render(request, "audit_log.html", context, status_code=200 if page.ok else page_status(page.status))
