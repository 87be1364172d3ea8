"""The customer's orders on the storefront: the history every contact of the customer shares, one order with its
documents, the confirmation after checkout, and Reorder (a past order's lines back into the cart at today's prices)."""

import asyncio
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.client import PageClient, id_or_404, problem
from gateway.web.forms import page_status, verified_form
from gateway.web.rendering import render
from gateway.web.storefront.cart import cart_page, refusal_page
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

account_tab(AccountTab("orders", "Orders", 5))

ORDERS_PAGE_SIZE = 20


async def _order_in_frame(
    request: Request, client: PageClient, order_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    """The account's frame and one of its customer's orders, or the way to sign in."""
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    frame, order = await asyncio.gather(
        account_frame(request, client, "orders"),
        client.call("GET", store_api(client, f"/orders/{id_or_404(order_id, 'order')}")),
    )
    if isinstance(frame, Response):
        return frame
    if order.status == 401:
        return to_store_login(request, store_of(client))
    if not order.ok:
        raise problem(order)
    body: dict[str, Any] = order.body
    return frame, body


@router.get("/store/{slug}/orders")
async def orders(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    cursor = request.query_params.get("cursor") or None
    query = {"limit": str(ORDERS_PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
    frame, page = await asyncio.gather(
        account_frame(request, client, "orders"),
        client.call("GET", store_api(client, "/orders"), query=urlencode(query)),
    )
    if isinstance(frame, Response):
        return frame
    if page.status == 401:
        return to_store_login(request, store_of(client))
    if not page.ok:
        return refusal_page(request, frame, page.status, page.detail)
    base = store_page(client, "/orders")
    next_cursor = page.body.get("nextCursor")
    context = {
        **frame,
        "orders": page.body.get("items", []),
        "first_url": base,
        "next_url": f"{base}?{urlencode({'cursor': next_cursor})}" if next_cursor else None,
        "first_page": cursor is None,
    }
    return render(request, "store_orders.html", context)


@router.get("/store/{slug}/orders/{order_id}")
async def order(request: Request, slug: str, order_id: str) -> Response:
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    order_id = id_or_404(order_id, "order")
    loaded, documents = await asyncio.gather(
        _order_in_frame(request, client, order_id),
        client.call("GET", store_api(client, "/documents"), query=urlencode({"orderId": order_id})),
    )
    if isinstance(loaded, Response):
        return loaded
    frame, body = loaded
    # The order's invoice and packing list; orders briefly unavailable leaves them out, not the order.
    items = documents.body.get("items", []) if documents.ok else []
    return render(request, "store_order.html", {**frame, "order": body, "documents": items})


@router.get("/store/{slug}/orders/{order_id}/placed")
async def order_placed(request: Request, slug: str, order_id: str) -> Response:
    """The confirmation checkout leads to: the order's number, total and address, and where to go next."""
    client = await store_client(request, slug)
    loaded = await _order_in_frame(request, client, order_id)
    if isinstance(loaded, Response):
        return loaded
    frame, body = loaded
    return render(request, "store_order_placed.html", {**frame, "order": body})


@router.post("/store/{slug}/orders/{order_id}/reorder")
async def reorder(request: Request, slug: str, order_id: str) -> Response:
    """The order's lines into the cart at today's prices; the cart then says which could not be added, and why."""
    await verified_form(request)
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    path = store_api(client, f"/orders/{id_or_404(order_id, 'order')}/reorder")
    result = await client.call("POST", path)
    if result.status == 401:
        return to_store_login(request, store_of(client))
    if not result.ok:
        return await cart_page(request, client, {"error": result.detail}, status_code=page_status(result.status))
    return await cart_page(request, client, {"reordered": _reorder_report(result.body)})


def _reorder_report(body: Any) -> dict[str, Any]:
    """What the API says of a reorder: the lines it could not put in the cart, and why."""
    report = body if isinstance(body, dict) else {}
    unavailable = report.get("unavailable")
    skipped: list[Any] = unavailable if isinstance(unavailable, list) else []
    lines = [
        {
            "name": str(line.get("name") or line.get("sku") or line.get("productId") or ""),
            "message": str(line.get("message") or line.get("reason") or "It can no longer be ordered."),
        }
        for line in skipped
        if isinstance(line, dict)
    ]
    return {"skipped": lines}
