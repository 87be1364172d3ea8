"""The signed-in account's cart and checkout: add from the catalog, change quantities, place the cart as an order.

The cart is the API's (`/store/{slug}/api/cart`, kept server-side per account); these pages only show it and
post to it. Accounts that may not order (VIEWER) get a 403 page here, as the API would answer them.
"""

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, PageClient, id_or_404, problem
from gateway.web.forms import FORM_KEY, go, page_status, redirect, submit, verified_form
from gateway.web.rendering import flash_messages, render
from gateway.web.storefront.catalog import catalog_page, product_page
from gateway.web.storefront.frame import (
    cart_lines,
    may_order,
    store_api,
    store_banner,
    store_client,
    store_frame,
    store_of,
    store_page,
    to_store_login,
)

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "store-cart-updated": ("success", "Quantity changed."),
        "store-cart-removed": ("success", "Removed from your cart."),
        "store-cart-emptied": ("success", "Your cart is empty now."),
    }
)

MAX_QUANTITY = 1_000_000
QUANTITY_RULE = "Enter a whole number from 1 to 1,000,000."
CHECKOUT_FIELDS = {
    "shippingAddressId": "address",
    "poNumber": "po_number",
    "notes": "notes",
    "requestedDeliveryDate": "requested_delivery_date",
}
PRICES_MOVED = (
    "Some prices changed since you opened this page, so nothing was ordered. The changed lines are marked "
    "below with their new prices; check the new total and place the order again."
)
NO_ORDERING = "Your role lets you see your account's orders but not place them. An admin of your account can change it."


def _quantity(value: str | None, *, minimum: int) -> int | None:
    """A typed quantity as a whole number from `minimum` to 1,000,000; None when it is not one."""
    try:
        quantity = int((value or "").strip())
    except ValueError:
        return None
    return quantity if minimum <= quantity <= MAX_QUANTITY else None


def _lines(cart: dict[str, Any]) -> list[dict[str, Any]]:
    return list(cart.get("items") or [])


def refusal_page(request: Request, frame: dict[str, Any], status: int, detail: str) -> Response:
    """A refusal (a viewer's 403, a failing cart) as a page in the storefront's frame."""
    context = {**frame, "status": status, "detail": detail}
    return render(request, "store_error.html", context, status_code=page_status(status))


async def _shopper_frame(request: Request, client: PageClient) -> dict[str, Any] | Response:
    """The frame of a page only accounts that may order see: the sign-in page for guests, 403 for viewers."""
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    frame = await store_frame(client, count_cart=False)
    if frame["me"] is None:
        return to_store_login(request, store_of(client))
    if not may_order(frame["me"]):
        return refusal_page(request, frame, 403, NO_ORDERING)
    return frame


async def _cart_of(request: Request, client: PageClient, frame: dict[str, Any]) -> dict[str, Any] | Response:
    """The cart as the API prices it now, or the page its refusal is."""
    cart = await client.call("GET", store_api(client, "/cart"))
    if cart.status == 401:
        return to_store_login(request, store_of(client))
    if not cart.ok:
        return refusal_page(request, frame, cart.status, cart.detail)
    body: dict[str, Any] = cart.body
    frame["cart_count"] = cart_lines(cart)
    return body


def _cart_context(cart: dict[str, Any]) -> dict[str, Any]:
    issues = [issue for issue in cart.get("issues") or [] if isinstance(issue, dict)]
    in_lines = {line["productId"] for line in _lines(cart)}
    return {
        "cart": cart,
        "lines": _lines(cart),
        "issues": issues,
        "issue_of": {str(issue.get("productId")): str(issue.get("message", "")) for issue in issues},
        # Issues about products no longer in the catalog at all may have no line of their own.
        "loose_issues": [issue for issue in issues if issue.get("productId") not in in_lines],
    }


# -- the cart page -----------------------------------------------------------------------------------


async def cart_page(
    request: Request, client: PageClient, extra: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """The cart; `extra` is what an action adds to it (a refused change's banner, a reorder's report)."""
    frame = await _shopper_frame(request, client)
    if isinstance(frame, Response):
        return frame
    cart = await _cart_of(request, client, frame)
    if isinstance(cart, Response):
        return cart
    context = {**frame, **_cart_context(cart), **(extra or {})}
    return render(request, "store_cart.html", context, status_code=status_code)


@router.get("/store/{slug}/cart")
async def cart(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    return await cart_page(request, client)


async def _cart_change(
    request: Request, client: PageClient, product_id: str, quantity: int | None, message: str
) -> Response:
    """Sets a line's quantity (0 removes it); a refusal re-shows the cart with it."""
    if quantity is None:
        return await cart_page(request, client, {"error": QUANTITY_RULE, "error_line": product_id}, 422)

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        if result.status == 401:
            return to_store_login(request, store_of(client))
        extra = {"error": result.detail, "error_line": product_id}
        return await cart_page(request, client, extra, status_code=page_status(result.status))

    return await submit(
        client,
        "PUT",
        store_api(client, f"/cart/items/{product_id}"),
        {"quantity": quantity},
        success=go(store_page(client, "/cart#cart"), message),
        refused=refused,
    )


@router.post("/store/{slug}/cart/items/{product_id}")
async def change_quantity(request: Request, slug: str, product_id: str) -> Response:
    form = await verified_form(request)
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    product_id = id_or_404(product_id, "product")
    quantity = _quantity(form.get("quantity"), minimum=0)
    message = "store-cart-removed" if quantity == 0 else "store-cart-updated"
    return await _cart_change(request, client, product_id, quantity, message)


@router.post("/store/{slug}/cart/items/{product_id}/remove")
async def remove_line(request: Request, slug: str, product_id: str) -> Response:
    await verified_form(request)
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    return await _cart_change(request, client, id_or_404(product_id, "product"), 0, "store-cart-removed")


@router.post("/store/{slug}/cart/empty")
async def empty_cart(request: Request, slug: str) -> Response:
    await verified_form(request)
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await cart_page(request, client, {"error": result.detail}, status_code=page_status(result.status))

    return await submit(
        client,
        "DELETE",
        store_api(client, "/cart"),
        success=go(store_page(client, "/cart"), "store-cart-emptied"),
        refused=refused,
    )


# -- adding from the catalog -------------------------------------------------------------------------


@router.post("/store/{slug}/cart/add/{product_id}")
async def add_to_cart(request: Request, slug: str, product_id: str) -> Response:
    """Adds the typed quantity to what the cart already holds of the product, then shows the page it was added
    from again with the answer in the product's card: the quantity and name added, or the refusal."""
    form = await verified_form(request)
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    product_id = id_or_404(product_id, "product")
    typed = form.get("quantity", "")
    added = _quantity(typed, minimum=1)
    notice: dict[str, Any] = {"product_id": product_id, "quantity": added, "value": typed}
    status_code = 200
    if added is None:
        notice["error"] = QUANTITY_RULE
        status_code = 422
    else:
        result = await _add(client, product_id, added)
        if result.status == 401:
            return to_store_login(request, store_of(client))
        if not result.ok:
            notice["error"] = result.detail
            status_code = page_status(result.status)
    extra = {"cart_notice": notice}
    if form.get("origin") == "product":
        return await product_page(request, client, product_id, extra, status_code)
    return await catalog_page(request, client, form, extra, status_code)


async def _add(client: PageClient, product_id: str, quantity: int) -> ApiResult:
    # The API sets a line's quantity; adding is what the cart holds plus what was typed.
    cart = await client.call("GET", store_api(client, "/cart"))
    if not cart.ok:
        return cart
    held = next((line["quantity"] for line in _lines(cart.body) if line.get("productId") == product_id), 0)
    path = store_api(client, f"/cart/items/{product_id}")
    return await client.call("PUT", path, json_body={"quantity": int(held) + quantity})


# -- checkout ----------------------------------------------------------------------------------------


def _seen_prices(form: dict[str, str]) -> dict[str, tuple[str, str]]:
    """The unit price and quantity of each line as the checkout page showed them (its hidden fields)."""
    seen: dict[str, tuple[str, str]] = {}
    for key, value in form.items():
        if key.startswith("seen-"):
            price, _, quantity = value.partition("x")
            seen[key.removeprefix("seen-")] = (price, quantity)
    return seen


def _changed_lines(cart: dict[str, Any], seen: dict[str, tuple[str, str]], refusal: ApiResult) -> dict[str, str | None]:
    """The lines whose price (or quantity) is not what the buyer was shown, each with the unit price shown then:
    found by comparing today's cart with what the page showed; without that (an old form), the lines the API's
    409 names."""
    changed: dict[str, str | None] = {}
    if seen:
        for line in _lines(cart):
            shown = seen.get(line["productId"])
            if shown is None:
                changed[line["productId"]] = None  # added since, from another page or browser
            elif not _same_amount(shown[0], line.get("unitPrice")) or shown[1] != str(line.get("quantity")):
                changed[line["productId"]] = shown[0]
        return changed
    named = refusal.body.get("changes") if isinstance(refusal.body, dict) else None
    for change in named or []:
        if isinstance(change, dict) and change.get("productId"):
            changed[str(change["productId"])] = change.get("previousUnitPrice")
    return changed


def _same_amount(left: object, right: object) -> bool:
    try:
        return Decimal(str(left)) == Decimal(str(right))
    except InvalidOperation:
        return False


async def checkout_page(
    request: Request,
    client: PageClient,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    changed: dict[str, str | None] | None = None,
    status_code: int = 200,
) -> Response:
    """The checkout: the cart as it will be charged, an address, PO number, notes and delivery date."""
    frame = await _shopper_frame(request, client)
    if isinstance(frame, Response):
        return frame
    cart, addresses = await asyncio.gather(
        _cart_of(request, client, frame), client.call("GET", store_api(client, "/addresses"))
    )
    if isinstance(cart, Response):
        return cart
    if not addresses.ok:
        raise problem(addresses)
    choices = list(addresses.body.get("items", []))
    chosen = (values or {}).get("address") or next(
        (address["id"] for address in choices if address.get("isDefault")), choices[0]["id"] if choices else ""
    )
    context = {
        **frame,
        **_cart_context(cart),
        "addresses": choices,
        "values": {**(values or {}), "address": chosen},
        "errors": errors or {},
        "error": error,
        "changed": changed or {},
    }
    return render(request, "store_checkout.html", context, status_code=status_code)


@router.get("/store/{slug}/checkout")
async def checkout(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    return await checkout_page(request, client)


@router.post("/store/{slug}/checkout")
async def place_order(request: Request, slug: str) -> Response:
    form = await verified_form(request)
    client = await store_client(request, slug)
    if not client.caller.is_storefront_account:
        return to_store_login(request, store_of(client))
    values = {name: form.get(name, "").strip() for name in CHECKOUT_FIELDS.values()}
    body: dict[str, Any] = {"shippingAddressId": values["address"], "expectedTotal": form.get("expected_total", "")}
    for api_name, name in CHECKOUT_FIELDS.items():
        if name != "address" and values[name]:
            body[api_name] = values[name]

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        if result.status == 401:
            return to_store_login(request, store_of(client))
        if result.status == 409:
            # Prices moved: the page again at today's prices, the lines that changed marked, nothing ordered.
            cart = await client.call("GET", store_api(client, "/cart"))
            changed = _changed_lines(cart.body, _seen_prices(form), result) if cart.ok else {}
            message = PRICES_MOVED if changed else result.detail
            return await checkout_page(request, client, values=values, error=message, changed=changed, status_code=409)
        return await checkout_page(
            request,
            client,
            values=values,
            errors=errors,
            error=store_banner(result, errors),
            status_code=page_status(result.status),
        )

    async def placed(result: ApiResult) -> Response:
        return redirect(store_page(client, f"/orders/{result.body['id']}/placed"))

    return await submit(
        client,
        "POST",
        store_api(client, "/orders"),
        body,
        fields=CHECKOUT_FIELDS,
        success=placed,
        refused=refused,
        form_key=form.get(FORM_KEY),
    )
