"""Dashboard page for API keys: the active keys, issuing one (its secret shown once) and revoking."""

import asyncio
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.pipeline import Caller, Gateway
from gateway.routes import RouteTable
from gateway.web.calls import (
    ApiResult,
    api,
    banner,
    dashboard_frame,
    id_or_404,
    page_status,
    problem,
    redirect,
    staff_caller,
)
from gateway.web.rendering import flash, render, verified_form

router = APIRouter(include_in_schema=False)

API_KEYS_PAGE_SIZE = 50
ACCESS_LEVELS = ("read", "write")
SCOPE_FIELD_PREFIX = "scope:"
KEY_FIELDS = {"name": "name", "scopes": "scopes"}
NO_SCOPE = "Choose at least one scope."


def _scope_resources(routes: RouteTable) -> list[str]:
    """The resources a key can be given access to: those the route table opens to API keys."""
    return sorted({route.access.scope for route in routes.routes if route.access.scope is not None})


@router.get("/dashboard/api-keys")
async def api_keys_page(request: Request) -> Response:
    gateway, caller = await staff_caller(request)
    return await _api_keys_page(request, gateway, caller, {}, {})


@router.post("/dashboard/api-keys")
async def create_api_key(request: Request) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    chosen = [
        f"{resource}:{level}"
        for resource in _scope_resources(gateway.routes)
        for level in ACCESS_LEVELS
        if form.get(f"{SCOPE_FIELD_PREFIX}{resource}:{level}")
    ]
    values = {"name": form.get("name", ""), **{SCOPE_FIELD_PREFIX + scope: "on" for scope in chosen}}
    result = await api(
        gateway, caller, "POST", "/api/v1/api-keys", json_body={"name": values["name"], "scopes": chosen}
    )
    if result.ok:
        # The secret exists only in this answer: the page shows it once, instead of redirecting.
        response = await _api_keys_page(request, gateway, caller, {}, {}, created=result.body)
        response.headers["Cache-Control"] = "no-store"
        return response
    errors = result.field_errors(KEY_FIELDS)
    if not chosen:
        # The API's "at least 1 item" speaks of lists; the form has checkboxes.
        errors["scopes"] = NO_SCOPE
    return await _api_keys_page(request, gateway, caller, values, errors, refused=result)


@router.post("/dashboard/api-keys/{api_key_id}/revoke")
async def revoke_api_key(request: Request, api_key_id: str) -> Response:
    await verified_form(request)
    gateway, caller = await staff_caller(request)
    result = await api(gateway, caller, "DELETE", f"/api/v1/api-keys/{id_or_404(api_key_id, 'API key')}")
    if result.ok:
        response = redirect("/dashboard/api-keys")
        flash(response, "api-key-revoked")
        return response
    if result.status == 404:
        raise problem(result)
    return await _api_keys_page(request, gateway, caller, {}, {}, refused=result)


async def _api_keys_page(
    request: Request,
    gateway: Gateway,
    caller: Caller,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    refused: ApiResult | None = None,
    created: dict[str, Any] | None = None,
) -> Response:
    cursor = request.query_params.get("cursor")
    query = {"limit": str(API_KEYS_PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
    frame, keys = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "api_keys"),
        api(gateway, caller, "GET", "/api/v1/api-keys", query=urlencode(query)),
    )
    if isinstance(frame, Response):
        return frame
    if not keys.ok:
        # A MEMBER, or anyone whose role no longer allows it, gets the API's 403 as the error page.
        raise problem(keys)
    next_cursor = keys.body.get("nextCursor")
    context = {
        **frame,
        "keys": keys.body["items"],
        "first_page": cursor is None,
        "next_url": f"/dashboard/api-keys?{urlencode({'cursor': next_cursor})}" if next_cursor else None,
        "resources": _scope_resources(gateway.routes),
        "levels": ACCESS_LEVELS,
        "scope_prefix": SCOPE_FIELD_PREFIX,
        "values": values,
        "errors": errors,
        "error": banner(refused, errors) if refused is not None else None,
        "created": created,
    }
    status_code = page_status(refused.status) if refused is not None else 200
    return render(request, "api_keys.html", context, status_code=status_code)
