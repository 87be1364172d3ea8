"""The account's people, for its admins: add a contact, change a role, remove one."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, PageClient, id_or_404
from gateway.web.forms import Refused, go, page_status, submit, verified_form
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
from gateway.web.vocabulary import CONTACT_ROLES

router = APIRouter(include_in_schema=False)

account_tab(AccountTab("contacts", "Contacts", 20, admins_only=True))

flash_messages(
    {
        "store-contact-added": (
            "success",
            "Contact added. Tell them to set their password on the setup-password page.",
        ),
        "store-contact-role": ("success", "Role changed. It applies on the contact's next request."),
        "store-contact-removed": ("success", "Contact removed. They can no longer sign in."),
    }
)

CONTACT_FIELDS = {"email": "email", "name": "name", "role": "role"}


def _people(client: PageClient) -> str:
    return f"/store/{store_of(client).slug}/contacts"


async def _contacts_page(
    request: Request, client: PageClient, extra: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """The account's people; the API decides who may see them (admins), others get its 403 as a page."""
    store = store_of(client)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store)
    frame, contacts = await asyncio.gather(
        account_frame(request, client, "contacts"), client.call("GET", store_api(client, "/contacts"))
    )
    if isinstance(frame, Response):
        return frame
    if not contacts.ok:
        if contacts.status == 401:
            return to_store_login(request, store)
        context = {**frame, "status": contacts.status, "detail": contacts.detail}
        return render(request, "store_error.html", context, status_code=page_status(contacts.status))
    public_url = str(request.app.state.settings.public_url).rstrip("/")
    context = {
        **frame,
        "primary": contacts.body["primary"],
        "contacts": contacts.body.get("items", []),
        "roles": CONTACT_ROLES,
        "setup_url": f"{public_url}/store/{store.slug}/setup-password",
        "values": {"role": "BUYER"},
        "errors": {},
        **(extra or {}),
    }
    return render(request, "store_contacts.html", context, status_code=status_code)


def _shown_again(request: Request, client: PageClient) -> Refused:
    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await _contacts_page(request, client, {"error": result.detail}, page_status(result.status))

    return refused


@router.get("/store/{slug}/contacts")
async def contacts(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    return await _contacts_page(request, client)


@router.post("/store/{slug}/contacts")
async def add_contact(request: Request, slug: str) -> Response:
    form = await verified_form(request)
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    values = {name: form.get(name, "") for name in CONTACT_FIELDS.values()}

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        extra = {"values": values, "errors": errors, "error": store_banner(result, errors), "adding": True}
        return await _contacts_page(request, client, extra, status_code=page_status(result.status))

    return await submit(
        client,
        "POST",
        store_api(client, "/contacts"),
        values,
        fields=CONTACT_FIELDS,
        success=go(_people(client), "store-contact-added"),
        refused=refused,
    )


@router.post("/store/{slug}/contacts/{contact_id}/role")
async def change_contact_role(request: Request, slug: str, contact_id: str) -> Response:
    return await _change_contact(request, slug, contact_id, "PATCH", "store-contact-role", field="role")


@router.post("/store/{slug}/contacts/{contact_id}/remove")
async def remove_contact(request: Request, slug: str, contact_id: str) -> Response:
    return await _change_contact(request, slug, contact_id, "DELETE", "store-contact-removed")


async def _change_contact(
    request: Request, slug: str, contact_id: str, method: str, message: str, *, field: str | None = None
) -> Response:
    """A one-button change of a contact's row (its role, its removal); a refusal re-shows the list with it."""
    form = await verified_form(request)
    client = await store_client(request, slug)
    path = store_api(client, f"/contacts/{id_or_404(contact_id, 'contact')}")
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    body = {field: form.get(field, "")} if field is not None else None
    return await submit(
        client, method, path, body, success=go(_people(client), message), refused=_shown_again(request, client)
    )
