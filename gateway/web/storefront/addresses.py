"""The signed-in account's address book: add, edit, make default, delete."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web.addresses import ADDRESS_FORM_FIELDS, address_form_body, address_form_input, address_form_values
from gateway.web.client import ApiResult, PageClient, id_or_404, problem
from gateway.web.forms import go, page_status, submit, verified_form
from gateway.web.rendering import flash_messages, render
from gateway.web.storefront.frame import (
    AccountTab,
    account_frame,
    account_tab,
    store_api,
    store_banner,
    store_client,
    store_of,
    to_store_login,
)
from kit.errors import NotFound

router = APIRouter(include_in_schema=False)

account_tab(AccountTab("addresses", "Addresses", 10))

flash_messages(
    {
        "store-address-added": ("success", "Address added."),
        "store-address-saved": ("success", "Address saved."),
        "store-address-default": ("success", "Default address changed."),
        "store-address-deleted": ("success", "Address deleted."),
    }
)


def _book(client: PageClient) -> str:
    return f"/store/{store_of(client).slug}/addresses"


async def _book_in_frame(request: Request, client: PageClient) -> tuple[dict[str, Any], list[Any]] | Response:
    """The account's frame and its addresses, or the way to sign in."""
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    frame, addresses = await asyncio.gather(
        account_frame(request, client, "addresses"),
        client.call("GET", store_api(client, "/addresses")),
    )
    if isinstance(frame, Response):
        return frame
    if not addresses.ok:
        raise problem(addresses)
    return frame, list(addresses.body.get("items", []))


async def _addresses_page(
    request: Request, client: PageClient, extra: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """The address book; a refused change re-shows it with the refusal (and the add form's input, if any)."""
    loaded = await _book_in_frame(request, client)
    if isinstance(loaded, Response):
        return loaded
    frame, addresses = loaded
    context = {
        **frame,
        "addresses": addresses,
        "values": {},
        "errors": {},
        **(extra or {}),
    }
    return render(request, "store_addresses.html", context, status_code=status_code)


@router.get("/store/{slug}/addresses")
async def addresses(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    return await _addresses_page(request, client)


@router.post("/store/{slug}/addresses")
async def add_address(request: Request, slug: str) -> Response:
    form = await verified_form(request)
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        values = address_form_input(form) | {"is_default": form.get("is_default", "")}
        extra = {"values": values, "errors": errors, "error": store_banner(result, errors), "adding": True}
        return await _addresses_page(request, client, extra, status_code=page_status(result.status))

    return await submit(
        client,
        "POST",
        store_api(client, "/addresses"),
        {**address_form_body(form), "isDefault": form.get("is_default") == "on"},
        fields=ADDRESS_FORM_FIELDS,
        success=go(_book(client), "store-address-added"),
        refused=refused,
    )


@router.post("/store/{slug}/addresses/{address_id}/default")
async def make_default_address(request: Request, slug: str, address_id: str) -> Response:
    return await _change_address(request, slug, address_id, "PATCH", {"isDefault": True}, "store-address-default")


@router.post("/store/{slug}/addresses/{address_id}/delete")
async def delete_address(request: Request, slug: str, address_id: str) -> Response:
    return await _change_address(request, slug, address_id, "DELETE", None, "store-address-deleted")


async def _change_address(
    request: Request, slug: str, address_id: str, method: str, body: dict[str, Any] | None, message: str
) -> Response:
    """A one-button change of an address row; a refusal re-shows the address book with it."""
    await verified_form(request)
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await _addresses_page(request, client, {"error": result.detail}, status_code=page_status(result.status))

    path = store_api(client, f"/addresses/{id_or_404(address_id, 'address')}")
    return await submit(client, method, path, body, success=go(_book(client), message), refused=refused)


async def _address_edit_page(
    request: Request,
    client: PageClient,
    address_id: str,
    form: dict[str, str] | None = None,
    failed: ApiResult | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    loaded = await _book_in_frame(request, client)
    if isinstance(loaded, Response):
        return loaded
    frame, addresses = loaded
    address = next((item for item in addresses if item["id"] == address_id), None)
    if address is None:
        raise NotFound("There is no such address.")
    values = address_form_values(address) if form is None else address_form_input(form)
    context: dict[str, Any] = {**frame, "address": address, "values": values, "errors": {}}
    status_code = 200
    if failed is not None:
        context |= {"errors": errors or {}, "error": store_banner(failed, errors or {})}
        status_code = page_status(failed.status)
    return render(request, "store_address_edit.html", context, status_code=status_code)


@router.get("/store/{slug}/addresses/{address_id}/edit")
async def edit_address_page(request: Request, slug: str, address_id: str) -> Response:
    client = await store_client(request, slug)
    return await _address_edit_page(request, client, id_or_404(address_id, "address"))


@router.post("/store/{slug}/addresses/{address_id}/edit")
async def edit_address(request: Request, slug: str, address_id: str) -> Response:
    form = await verified_form(request)
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    address_id = id_or_404(address_id, "address")

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await _address_edit_page(request, client, address_id, form, result, errors)

    return await submit(
        client,
        "PATCH",
        store_api(client, f"/addresses/{address_id}"),
        address_form_body(form),
        fields=ADDRESS_FORM_FIELDS,
        success=go(_book(client), "store-address-saved"),
        refused=refused,
    )
