"""The dashboard's company settings: name and address, the storefront's options, and deleting the company."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, PageClient, problem
from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.forms import banner, go, page_status, redirect_with, submit, verified_form
from gateway.web.rendering import flash_messages, render

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "settings-saved": ("success", "Settings saved."),
        "company-deleted": (
            "info",
            "Your company has been deleted and everyone on its team signed out. Its storefront address is free again.",
        ),
    }
)

COMPANY_API = "/api/v1/company"
SETTINGS_FIELDS = {"name": "name", "slug": "slug"}
STOREFRONT_FIELDS = {"currency": "currency", "showPricesToGuests": "show_prices_to_guests"}
DELETE_COMPANY_FIELDS = {"confirmSlug": "confirm_slug"}


nav_entry(NavEntry("settings", "Settings", "/dashboard/settings", 60, needs=("PATCH", COMPANY_API)))


@router.get("/dashboard/settings")
async def settings_page(request: Request) -> Response:
    client = await staff_client(request)
    frame, company = await asyncio.gather(dashboard_frame(request, client, "settings"), client.call("GET", COMPANY_API))
    if isinstance(frame, Response):
        return frame
    if not company.ok:
        raise problem(company)
    values = {"name": company.body["name"], "slug": company.body["slug"]}
    context = _settings_context(request, client, values, company.body)
    return render(request, "settings.html", {**frame, **context})


@router.post("/dashboard/settings")
async def save_settings(request: Request) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    values = {"name": form.get("name", ""), "slug": form.get("slug", "")}

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        frame, company = await asyncio.gather(
            dashboard_frame(request, client, "settings"), client.call("GET", COMPANY_API)
        )
        if isinstance(frame, Response):
            return frame
        context = {
            **frame,
            **_settings_context(request, client, values, company.body if company.ok else values),
            "errors": errors,
            "error": banner(result, errors),
        }
        return render(request, "settings.html", context, status_code=page_status(result.status))

    success = go("/dashboard/settings", "settings-saved")
    return await submit(client, "PATCH", COMPANY_API, values, fields=SETTINGS_FIELDS, success=success, refused=refused)


@router.post("/dashboard/settings/storefront")
async def save_storefront_settings(request: Request) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    # An unticked checkbox is not posted at all: its absence is the "off" the user chose.
    values = {
        "currency": form.get("currency", ""),
        "show_prices_to_guests": "on" if form.get("show_prices_to_guests") else "",
    }
    body = {"currency": values["currency"], "showPricesToGuests": bool(values["show_prices_to_guests"])}

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await _refused(request, client, result, errors, "storefront", {"values": values, "errors": errors})

    success = go("/dashboard/settings#storefront", "settings-saved")
    return await submit(client, "PATCH", COMPANY_API, body, fields=STOREFRONT_FIELDS, success=success, refused=refused)


@router.post("/dashboard/settings/delete-company")
async def delete_company(request: Request) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    values = {"confirm_slug": form.get("confirm_slug", "")}

    async def deleted(result: ApiResult) -> Response:
        # Identity has ended every session of the company with it; this browser's cookie goes too.
        await client.gateway.end_session(client.caller)
        response = redirect_with("/login", "company-deleted")
        client.gateway.clear_session_cookie(response, client.caller)
        return response

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        if not errors and result.status in (400, 409, 422):
            # A slug that is not the company's: said where it was typed.
            errors["confirm_slug"] = result.detail
        return await _refused(request, client, result, errors, "danger", {"values": values, "errors": errors})

    body = {"confirmSlug": values["confirm_slug"]}
    return await submit(
        client, "DELETE", COMPANY_API, body, fields=DELETE_COMPANY_FIELDS, success=deleted, refused=refused
    )


async def _refused(
    request: Request, client: PageClient, result: ApiResult, errors: dict[str, str], section: str, form: Any
) -> Response:
    """The settings page again after a refused storefront or Danger zone form, that form shown with its input."""
    frame, company = await asyncio.gather(dashboard_frame(request, client, "settings"), client.call("GET", COMPANY_API))
    if isinstance(frame, Response):
        return frame
    if not company.ok:
        raise problem(company)
    general = {"name": company.body["name"], "slug": company.body["slug"]}
    context = {
        **frame,
        **_settings_context(request, client, general, company.body),
        section: form,
        "error": banner(result, errors),
    }
    return render(request, "settings.html", context, status_code=page_status(result.status))


def _settings_context(
    request: Request, client: PageClient, values: dict[str, str], company: dict[str, Any]
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
        # Who may not change the settings (a member) sees them read-only, not forms they cannot save.
        "can_edit": client.gateway.routes.staff_role_may(client.caller.role, "PATCH", COMPANY_API),
        # The Danger zone is shown only to whom the API lets delete the company (the owner).
        "can_delete_company": client.gateway.routes.staff_role_may(client.caller.role, "DELETE", COMPANY_API),
        "danger": {"values": {}, "errors": {}},
    }
