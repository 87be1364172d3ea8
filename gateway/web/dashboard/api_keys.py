"""Dashboard page for API keys: the active keys, issuing one (its secret shown once) and revoking."""

import asyncio
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, PageClient, id_or_404, problem
from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.forms import banner, go, page_status, submit, verified_form
from gateway.web.rendering import flash_messages, render
from gateway.web.vocabulary import ACCESS_LEVELS, scope_resources

router = APIRouter(include_in_schema=False)

flash_messages({"api-key-revoked": ("success", "API key revoked. Calls made with it are refused from now on.")})

API_KEYS_PAGE_SIZE = 50
SCOPE_FIELD_PREFIX = "scope:"
KEY_FIELDS = {"name": "name", "scopes": "scopes"}
NO_SCOPE = "Choose at least one scope."


nav_entry(NavEntry("api_keys", "API keys", "/dashboard/api-keys", 40, needs=("GET", "/api/v1/api-keys")))


@router.get("/dashboard/api-keys")
async def api_keys_page(request: Request) -> Response:
    client = await staff_client(request)
    return await _api_keys_page(request, client, {}, {})


@router.post("/dashboard/api-keys")
async def create_api_key(request: Request) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    chosen = [
        f"{resource}:{level}"
        for resource in scope_resources(client.gateway.routes)
        for level in ACCESS_LEVELS
        if form.get(f"{SCOPE_FIELD_PREFIX}{resource}:{level}")
    ]
    values = {"name": form.get("name", ""), **{SCOPE_FIELD_PREFIX + scope: "on" for scope in chosen}}

    async def created(result: ApiResult) -> Response:
        # The secret exists only in this answer: the page shows it once, instead of redirecting.
        response = await _api_keys_page(request, client, {}, {}, created=result.body)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        if not chosen:
            # The API's "at least 1 item" speaks of lists; the form has checkboxes.
            errors["scopes"] = NO_SCOPE
        return await _api_keys_page(request, client, values, errors, refused=result)

    body = {"name": values["name"], "scopes": chosen}
    return await submit(client, "POST", "/api/v1/api-keys", body, fields=KEY_FIELDS, success=created, refused=refused)


@router.post("/dashboard/api-keys/{api_key_id}/revoke")
async def revoke_api_key(request: Request, api_key_id: str) -> Response:
    await verified_form(request)
    client = await staff_client(request)

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        if result.status == 404:
            raise problem(result)
        return await _api_keys_page(request, client, {}, {}, refused=result)

    path = f"/api/v1/api-keys/{id_or_404(api_key_id, 'API key')}"
    return await submit(client, "DELETE", path, success=go("/dashboard/api-keys", "api-key-revoked"), refused=refused)


async def _api_keys_page(
    request: Request,
    client: PageClient,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    refused: ApiResult | None = None,
    created: dict[str, Any] | None = None,
) -> Response:
    cursor = request.query_params.get("cursor")
    query = {"limit": str(API_KEYS_PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
    frame, keys = await asyncio.gather(
        dashboard_frame(request, client, "api_keys"),
        client.call("GET", "/api/v1/api-keys", query=urlencode(query)),
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
        "resources": scope_resources(client.gateway.routes),
        "levels": ACCESS_LEVELS,
        "scope_prefix": SCOPE_FIELD_PREFIX,
        "values": values,
        "errors": errors,
        "error": banner(refused, errors) if refused is not None else None,
        "created": created,
    }
    status_code = page_status(refused.status) if refused is not None else 200
    return render(request, "api_keys.html", context, status_code=status_code)
