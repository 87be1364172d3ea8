"""The customer's documents on the storefront, for every role of the customer (a VIEWER too): the files its
distributor keeps for it and its orders' invoices and packing lists, a page at a time, each downloadable."""

import asyncio
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.client import id_or_404
from gateway.web.rendering import render
from gateway.web.storefront.cart import refusal_page
from gateway.web.storefront.frame import (
    AccountTab,
    account_frame,
    account_tab,
    store_api,
    store_client,
    store_of,
    store_page,
    to_store_login,
)

router = APIRouter(include_in_schema=False)

account_tab(AccountTab("documents", "Documents", 7))

DOCUMENTS_PAGE_SIZE = 25
# The list's filter by kind: its value in the page's query and the API's, and its words.
KIND_FILTERS = {"": "All", "INVOICE": "Invoices", "PACKING_LIST": "Packing lists", "FILE": "Files"}


@router.get("/store/{slug}/documents")
async def documents(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    kind = request.query_params.get("kind", "")
    kind = kind if kind in KIND_FILTERS else ""
    cursor = request.query_params.get("cursor") or None
    filtering = {"kind": kind} if kind else {}
    query = {"limit": str(DOCUMENTS_PAGE_SIZE), **filtering, **({"cursor": cursor} if cursor else {})}
    frame, page = await asyncio.gather(
        account_frame(request, client, "documents"),
        client.call("GET", store_api(client, "/documents"), query=urlencode(query)),
    )
    if isinstance(frame, Response):
        return frame
    if page.status == 401:
        return to_store_login(request, store_of(client))
    if not page.ok:
        return refusal_page(request, frame, page.status, page.detail)
    base = store_page(client, "/documents")
    first_url = base + (f"?{urlencode(filtering)}" if filtering else "")
    next_cursor = page.body.get("nextCursor")
    context = {
        **frame,
        "documents": page.body.get("items", []),
        "kind": kind,
        "kind_filters": [
            (label, base + (f"?{urlencode({'kind': value})}" if value else ""), value == kind)
            for value, label in KIND_FILTERS.items()
        ],
        "first_url": first_url,
        "next_url": f"{base}?{urlencode({**filtering, 'cursor': next_cursor})}" if next_cursor else None,
        "first_page": cursor is None,
    }
    return render(request, "store_documents.html", context)


@router.get("/store/{slug}/documents/{document_id}/download")
async def download(request: Request, slug: str, document_id: str) -> Response:
    """The file as orders streams it, under its own name; another customer's is a 404 page, a guest signs in."""
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    path = store_api(client, f"/documents/{id_or_404(document_id, 'document')}/download")
    query = "copy=original" if request.query_params.get("copy") == "original" else ""
    return await client.relay(path, query=query)
