"""The storefront cart, per signed-in account, and checkout: placing the cart at the prices the buyer saw,
order history shared by the customer's accounts, and reorder."""

from typing import Any

import pytest

from kit.settings import PlatformSettings
from tests.contracts.envelopes import price_override_set, product_archived, product_deleted
from tests.orders.ordering import CART, OVERRIDE_PRICE, STORE_ORDERS, Shop, open_shop
from tests.support.services import RunningService

PROBLEM = "application/problem+json"


@pytest.fixture
async def shop(orders: RunningService, platform: PlatformSettings) -> Shop:
    return await open_shop(orders, platform)


async def cart_of(shop: Shop, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await shop.get(CART, headers or shop.contact())
    assert response.status_code == 200, response.text
    cart: dict[str, Any] = response.json()
    return cart


async def checkout(shop: Shop, expected_total: str, headers: dict[str, str] | None = None, **extra: Any) -> Any:
    body = {"shippingAddressId": str(shop.address_id), "expectedTotal": expected_total} | extra
    return await shop.post(STORE_ORDERS, body, headers or shop.contact())


async def test_add_update_remove_and_clear_priced_at_the_customers_prices(shop: Shop) -> None:
    assert await cart_of(shop) == {"items": [], "currency": None, "subtotal": "0.00", "total": "0.00", "issues": []}

    added = await shop.put_in_cart(shop.products[0], 3)
    await shop.put_in_cart(shop.products[1], 1)
    await shop.put_in_cart(shop.products[1], 4)

    assert added.status_code == 200, added.text
    cart = await cart_of(shop)
    assert [
        (line["sku"], line["quantity"], line["unitPrice"], line["listPrice"], line["lineTotal"])
        for line in cart["items"]
    ] == [
        ("SKU-0", 3, OVERRIDE_PRICE, "10.00", "24.00"),
        ("SKU-1", 4, "25.50", "25.50", "102.00"),
    ]
    assert cart["items"][0]["unitOfSale"] == "each"
    assert (cart["currency"], cart["subtotal"], cart["total"]) == ("USD", "126.00", "126.00")

    removed = await shop.put_in_cart(shop.products[0], 0)
    assert [line["sku"] for line in removed.json()["items"]] == ["SKU-1"]
    assert (await shop.orders.client.delete(CART, headers=shop.contact())).status_code == 204
    assert (await cart_of(shop))["items"] == []


async def test_only_products_on_sale_and_sane_quantities_go_in_the_cart(
    orders: RunningService, platform: PlatformSettings, shop: Shop
) -> None:
    other = await open_shop(orders, platform)
    for product_id, quantity, status in (
        (shop.archived_product, 1, 422),
        (other.products[0], 1, 422),
        (shop.products[0], -1, 422),
        (shop.products[0], 1_000_001, 422),
    ):
        response = await shop.put_in_cart(product_id, quantity)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == PROBLEM
    assert "archived" in (await shop.put_in_cart(shop.archived_product, 1)).json()["detail"]
    assert await shop.rows("cart_items") == 0


async def test_each_account_has_its_own_cart_and_every_account_sees_the_customers_orders(shop: Shop) -> None:
    second = shop.contact(shop.second_buyer_id)
    await shop.put_in_cart(shop.products[0], 1)
    await shop.put_in_cart(shop.products[2], 2, second)
    await shop.put_in_cart(shop.products[1], 1, shop.customer_account())

    assert [line["sku"] for line in (await cart_of(shop))["items"]] == ["SKU-0"]
    assert [line["sku"] for line in (await cart_of(shop, second))["items"]] == ["SKU-2"]
    assert [line["sku"] for line in (await cart_of(shop, shop.customer_account()))["items"]] == ["SKU-1"]

    placed = await checkout(shop, "9.98", second)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["placedBy"] == {
        "type": "CUSTOMER",
        "id": str(shop.second_buyer_id),
        "name": "Sam Second",
        "onBehalfOf": None,
    }
    assert (order["customerId"], order["customerName"], order["total"]) == (
        str(shop.customer_id),
        "Corner Grocery",
        "9.98",
    )
    assert order["shippingAddress"]["line1"] == "1 Main St"
    assert (await cart_of(shop, second))["items"] == []
    assert len((await cart_of(shop))["items"]) == 1

    for headers in (shop.contact(), second, shop.viewer(), shop.customer_account()):
        listed = await shop.get(STORE_ORDERS, headers)
        assert [item["number"] for item in listed.json()["items"]] == ["SO-000001"]
        detail = await shop.get(f"{STORE_ORDERS}/{order['id']}", headers)
        assert detail.json() == order
    (event,) = await shop.outbox("OrderPlaced")
    assert (event.actor.type, event.actor.id) == ("CUSTOMER", shop.second_buyer_id)


async def test_checkout_at_a_changed_price_is_409_with_the_lines_and_places_nothing(shop: Shop) -> None:
    await shop.put_in_cart(shop.products[0], 2)
    await shop.put_in_cart(shop.products[1], 1)
    shown = (await cart_of(shop))["total"]
    assert shown == "41.50"
    await shop.publish(
        price_override_set(
            shop.company_id,
            shop.override_id,
            customer_id=shop.customer_id,
            product_id=shop.products[0],
            unit_price="9.00",
            version=2,
        )
    )

    refused = await checkout(shop, shown)

    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert (body["total"], body["expectedTotal"]) == ("43.50", "41.50")
    # Only the line whose price moved since it was put in the cart, with the price quoted then.
    assert body["changes"] == [
        {
            "productId": str(shop.products[0]),
            "sku": "SKU-0",
            "name": "Product 0",
            "previousUnitPrice": "8.00",
            "unitPrice": "9.00",
        }
    ]
    await shop.nothing_placed()
    assert len((await cart_of(shop))["items"]) == 2
    assert (await checkout(shop, "43.50")).status_code == 201


async def test_checkout_refuses_an_empty_cart_unavailable_lines_and_another_customers_address(
    orders: RunningService, platform: PlatformSettings, shop: Shop
) -> None:
    other = await open_shop(orders, platform)
    assert (await checkout(shop, "0.00")).status_code == 422

    await shop.put_in_cart(shop.products[0], 1)
    await shop.put_in_cart(shop.products[1], 1)
    wrong_address = await checkout(shop, "33.50", shippingAddressId=str(other.address_id))
    assert wrong_address.status_code == 422
    assert wrong_address.json()["errors"][0]["field"] == "shippingAddressId"

    await shop.publish(product_archived(shop.company_id, shop.products[1], sku="SKU-1", name="Product 1", version=2))
    await shop.publish(product_deleted(shop.company_id, shop.products[0], sku="SKU-0", version=2))
    cart = await cart_of(shop)
    assert cart["items"] == []
    assert [issue["productId"] for issue in cart["issues"]] == [str(shop.products[0]), str(shop.products[1])]
    assert cart["total"] == "0.00"
    refused = await checkout(shop, "0.00")
    assert refused.status_code == 422
    assert "archived" in refused.json()["detail"]
    await shop.nothing_placed()


async def test_reorder_adds_the_lines_at_todays_prices_and_reports_what_cannot_be_ordered(shop: Shop) -> None:
    await shop.put_in_cart(shop.products[0], 2)
    await shop.put_in_cart(shop.products[1], 1)
    order = (await checkout(shop, "41.50")).json()
    await shop.put_in_cart(shop.products[0], 1)
    await shop.publish(product_archived(shop.company_id, shop.products[1], sku="SKU-1", name="Product 1", version=2))

    response = await shop.post(f"{STORE_ORDERS}/{order['id']}/reorder", {}, shop.contact(shop.second_buyer_id))

    assert response.status_code == 200, response.text
    body = response.json()
    assert [(line["sku"], line["quantity"]) for line in body["cart"]["items"]] == [("SKU-0", 2)]
    assert [(line["sku"], "archived" in line["message"]) for line in body["unavailable"]] == [("SKU-1", True)]
    again = await shop.post(f"{STORE_ORDERS}/{order['id']}/reorder", {}, shop.contact())
    assert [(line["sku"], line["quantity"]) for line in again.json()["cart"]["items"]] == [("SKU-0", 3)]


async def test_viewers_have_no_cart_and_cannot_order_guests_must_sign_in(
    orders: RunningService, platform: PlatformSettings, shop: Shop
) -> None:
    await shop.put_in_cart(shop.products[0], 1)
    order = (await checkout(shop, OVERRIDE_PRICE)).json()
    viewer = shop.viewer()

    for method, path, body in (
        ("GET", CART, None),
        ("PUT", f"{CART}/items/{shop.products[0]}", {"quantity": 1}),
        ("DELETE", CART, None),
        ("POST", STORE_ORDERS, {"shippingAddressId": str(shop.address_id), "expectedTotal": "8.00"}),
        ("POST", f"{STORE_ORDERS}/{order['id']}/reorder", {}),
    ):
        for headers, status in ((viewer, 403), (shop.anonymous(), 401), (shop.staff(), 403)):
            response = await shop.orders.client.request(method, path, json=body, headers=headers)
            assert response.status_code == status, f"{method} {path}: {response.text}"
            assert response.headers["content-type"] == PROBLEM
    assert (await shop.get(STORE_ORDERS, shop.anonymous())).status_code == 401
    assert (await shop.get(f"{STORE_ORDERS}/{order['id']}", viewer)).status_code == 200
    # Another customer's account sees nothing of this one's orders.
    other = await open_shop(orders, platform)
    assert (await shop.get(f"{STORE_ORDERS}/{order['id']}", other.contact())).status_code == 404
    assert (await shop.post(f"{STORE_ORDERS}/{order['id']}/reorder", {}, other.contact())).status_code == 404
    assert await shop.rows("orders") == 1
