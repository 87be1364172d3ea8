"""Placing orders through the orders API: staff for a customer, internal orders, API keys; prices from orders'
own read models; every refusal creates nothing (no order, no number, no event)."""

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest

from kit.settings import PlatformSettings
from tests.contracts.envelopes import address_deleted, address_updated, product_archived
from tests.orders.ordering import ORDERS, OVERRIDE_PRICE, Shop, open_shop
from tests.support.services import RunningService

PROBLEM = "application/problem+json"


@pytest.fixture
async def shop(orders: RunningService, platform: PlatformSettings) -> Shop:
    return await open_shop(orders, platform)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body


async def test_staff_order_for_a_customer_is_priced_at_its_prices_and_shipped_to_its_address(shop: Shop) -> None:
    response = await shop.place(shop.order_body((0, 3), (1, 2), poNumber="PO-77", notes="Back door"))

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["number"] == "SO-000001"
    assert order["status"] == "PENDING"
    assert (order["customerId"], order["customerName"]) == (str(shop.customer_id), "Corner Grocery")
    assert order["placedBy"] == {
        "type": "USER",
        "id": str(shop.user_id),
        "name": "Olive Owner",
        "onBehalfOf": {"customerId": str(shop.customer_id), "contactId": None},
    }
    assert [
        (line["sku"], line["quantity"], line["unitPrice"], line["listPrice"], line["lineTotal"])
        for line in order["items"]
    ] == [
        ("SKU-0", 3, OVERRIDE_PRICE, "10.00", "24.00"),
        ("SKU-1", 2, "25.50", "25.50", "51.00"),
    ]
    assert (order["currency"], order["subtotal"], order["total"]) == ("USD", "75.00", "75.00")
    assert order["shippingAddress"] == {
        "label": None,
        "recipient": "Receiving dock",
        "line1": "1 Main St",
        "line2": None,
        "city": "Springfield",
        "region": "IL",
        "postalCode": "62701",
        "country": "US",
        "phone": "+1 217 555 0100",
    }
    assert (order["poNumber"], order["notes"], order["requestedDeliveryDate"]) == ("PO-77", "Back door", None)
    assert [(step["status"], step["actor"]["type"], step["actor"]["name"]) for step in order["statusHistory"]] == [
        ("PENDING", "USER", "Olive Owner")
    ]
    fetched = await shop.get(f"{ORDERS}/{order['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == order

    (placed,) = await shop.outbox("OrderPlaced")
    assert (placed.entity.type, placed.entity.id, placed.entity.version) == ("Order", order["id"], 1)
    assert (placed.actor.type, placed.actor.id) == ("USER", shop.user_id)
    expected = {key: value for key, value in order.items() if key not in ("statusHistory", "updatedAt", "cancelReason")}
    month = order["createdAt"][:7]
    assert placed.data == expected | {"month": month, "ordersThisMonth": 1, "ordersThisMonthVersion": 1}


async def test_internal_order_has_no_customer_list_prices_and_an_address_typed_in_or_none(shop: Shop) -> None:
    typed = {"line1": " 5 Dock Rd ", "city": "Portland", "postalCode": "97201", "country": "us"}
    body = {
        "items": [{"productId": str(shop.products[0]), "quantity": 2}],
        "shippingAddress": typed,
        "requestedDeliveryDate": "2031-05-01",
    }

    order = await shop.placed(body)
    bare = await shop.placed({"items": [{"productId": str(shop.products[2]), "quantity": 1}]})

    assert (order["customerId"], order["customerName"]) == (None, None)
    assert order["placedBy"]["onBehalfOf"] is None
    assert order["items"][0]["unitPrice"] == "10.00"
    assert order["total"] == "20.00"
    assert order["shippingAddress"]["line1"] == "5 Dock Rd"
    assert order["shippingAddress"]["country"] == "US"
    assert order["requestedDeliveryDate"] == "2031-05-01"
    assert (bare["number"], bare["shippingAddress"], bare["total"]) == ("SO-000002", None, "4.99")
    events = await shop.outbox("OrderPlaced")
    assert [event.data["customerId"] for event in events] == [None, None]


async def test_an_api_key_places_as_system_with_its_name(shop: Shop) -> None:
    response = await shop.place(shop.order_body((1, 1)), shop.api_key("orders:write"))

    assert response.status_code == 201, response.text
    placed_by = response.json()["placedBy"]
    assert (placed_by["type"], placed_by["id"], placed_by["name"]) == ("SYSTEM", str(shop.key_id), "ERP sync")
    (event,) = await shop.outbox("OrderPlaced")
    assert (event.actor.type, event.actor.api_key_id) == ("SYSTEM", shop.key_id)


async def test_a_read_only_api_key_and_storefront_callers_cannot_place_staff_orders(shop: Shop) -> None:
    for headers, status in (
        (shop.api_key("orders:read"), 403),
        (shop.api_key("catalog:write"), 403),
        (shop.contact(), 403),
        (shop.anonymous(), 401),
    ):
        problem(await shop.place(shop.order_body((0, 1)), headers), status)
    assert (await shop.get(ORDERS, shop.api_key("orders:read"))).status_code == 200
    await shop.nothing_placed()


@pytest.mark.parametrize("role", ["OWNER", "ADMIN", "MEMBER"])
async def test_every_staff_role_may_order(shop: Shop, role: str) -> None:
    assert (await shop.place(shop.order_body((0, 1)), shop.staff(role))).status_code == 201


async def test_refused_orders_create_nothing_and_the_next_order_takes_the_first_number(
    orders: RunningService, platform: PlatformSettings, shop: Shop
) -> None:
    other = await open_shop(orders, platform)
    unknown = uuid.uuid4()
    refusals: list[tuple[dict[str, Any], int, str, str]] = [
        (
            shop.order_body((0, 1))
            | {
                "items": [
                    {"productId": str(shop.products[0]), "quantity": 1},
                    {"productId": str(unknown), "quantity": 1},
                ]
            },
            422,
            "items.1.productId",
            "does not exist",
        ),
        (
            shop.order_body() | {"items": [{"productId": str(shop.archived_product), "quantity": 1}]},
            422,
            "items.0.productId",
            "is archived and cannot be ordered",
        ),
        (shop.order_body((0, 1), (1, 1), (0, 2)), 422, "items.2.productId", "already on the order"),
        (
            shop.order_body() | {"items": [{"productId": str(other.products[0]), "quantity": 1}]},
            422,
            "items.0.productId",
            "does not exist",
        ),
        (shop.order_body((0, 1), shippingAddressId=str(other.address_id)), 422, "shippingAddressId", "not one of"),
        (
            shop.order_body((0, 1)) | {"customerId": str(other.customer_id), "shippingAddressId": None},
            404,
            "",
            "Customer",
        ),
        (
            {"items": [{"productId": str(shop.products[0]), "quantity": 1}], "shippingAddressId": str(shop.address_id)},
            422,
            "shippingAddressId",
            "internal order",
        ),
        (
            shop.order_body((0, 1), shippingAddress={"line1": "x", "city": "y", "postalCode": "1", "country": "US"}),
            422,
            "shippingAddressId",
            "not both",
        ),
        (shop.order_body((0, 0)), 422, "items.0.quantity", ""),
        (shop.order_body((0, 1_000_001)), 422, "items.0.quantity", ""),
        (shop.order_body() | {"items": []}, 422, "items", ""),
        (shop.order_body() | {"items": [{"productId": str(uuid.uuid4()), "quantity": 1}] * 501}, 422, "items", ""),
    ]
    for body, status, field, words in refusals:
        answer = problem(await shop.place(body), status)
        if field:
            assert field in [error["field"] for error in answer["errors"]], answer
        assert words in answer["detail"], answer

    await shop.nothing_placed()
    assert (await shop.placed())["number"] == "SO-000001"


async def test_twenty_concurrent_orders_get_twenty_consecutive_numbers(shop: Shop) -> None:
    responses = await asyncio.gather(*(shop.place(shop.order_body((0, 1))) for _ in range(20)))

    assert [response.status_code for response in responses] == [201] * 20
    numbers = sorted(response.json()["number"] for response in responses)
    assert numbers == [f"SO-{number:06d}" for number in range(1, 21)]
    assert len(await shop.outbox("OrderPlaced")) == 20


async def test_with_one_order_left_this_month_exactly_one_of_ten_concurrent_placements_succeeds(
    orders: RunningService, platform: PlatformSettings
) -> None:
    shop = await open_shop(orders, platform, max_orders_per_month=3)
    for _ in range(2):
        await shop.placed()

    responses = await asyncio.gather(*(shop.place(shop.order_body((1, 1))) for _ in range(10)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [402] * 9
    for response in responses:
        if response.status_code == 402:
            assert "maxOrdersPerMonth" in problem(response, 402)["detail"]
    assert await shop.rows("orders") == 3
    assert len(await shop.outbox("OrderPlaced")) == 3
    limits = (await shop.get(f"{ORDERS}/limits")).json()
    assert (limits["maxOrdersPerMonth"], limits["ordersThisMonth"]) == (3, 3)
    # The storefront's buyer is told the store is not taking orders, never the plan or its limit.
    await shop.put_in_cart(shop.products[1], 1)
    refused = problem(
        await shop.post(
            "/storefront/orders", {"shippingAddressId": str(shop.address_id), "expectedTotal": "25.50"}, shop.contact()
        ),
        402,
    )
    assert "not taking orders" in refused["detail"]
    assert shop.name in refused["detail"]
    assert "maxOrdersPerMonth" not in refused["detail"]
    assert "plan" not in refused["detail"].lower()
    assert "starter" not in refused["detail"].lower()
    assert await shop.rows("cart_items") == 1


async def test_an_expired_trial_refuses_orders_with_402(orders: RunningService, platform: PlatformSettings) -> None:
    from datetime import timedelta

    from kit.db import utcnow

    shop = await open_shop(orders, platform, trial_ends_at=utcnow() - timedelta(minutes=1))

    staff_refusal = problem(await shop.place(shop.order_body((0, 1))), 402)
    await shop.put_in_cart(shop.products[0], 1)
    buyer_refusal = problem(
        await shop.post(
            "/storefront/orders", {"shippingAddressId": str(shop.address_id), "expectedTotal": "8.00"}, shop.contact()
        ),
        402,
    )

    assert "trial has ended" in staff_refusal["detail"]
    assert "not taking orders" in buyer_refusal["detail"]
    assert "trial" not in buyer_refusal["detail"].lower()
    await shop.nothing_placed()


async def test_the_address_is_frozen_on_the_order(shop: Shop) -> None:
    order = await shop.placed(shop.order_body((0, 1)))

    await shop.publish(
        address_updated(shop.company_id, shop.address_id, customer_id=shop.customer_id, version=2, line1="2 New St")
    )
    after_edit = (await shop.get(f"{ORDERS}/{order['id']}")).json()
    await shop.publish(address_deleted(shop.company_id, shop.address_id, customer_id=shop.customer_id, version=3))
    after_delete = (await shop.get(f"{ORDERS}/{order['id']}")).json()

    assert after_edit["shippingAddress"] == after_delete["shippingAddress"] == order["shippingAddress"]
    assert order["shippingAddress"]["line1"] == "1 Main St"
    # The deleted address can no longer be chosen for a new order.
    problem(await shop.place(shop.order_body((0, 1))), 422)


async def test_a_product_archived_after_an_order_keeps_the_order_and_refuses_the_next(shop: Shop) -> None:
    order = await shop.placed(shop.order_body((1, 1)))
    await shop.publish(product_archived(shop.company_id, shop.products[1], sku="SKU-1", name="Product 1", version=2))

    refused = problem(await shop.place(shop.order_body((1, 1))), 422)

    assert "archived" in refused["detail"]
    assert (await shop.get(f"{ORDERS}/{order['id']}")).json()["items"][0]["sku"] == "SKU-1"


async def test_another_companys_order_is_not_found(
    orders: RunningService, platform: PlatformSettings, shop: Shop
) -> None:
    other = await open_shop(orders, platform)
    order = await other.placed()

    path = f"{ORDERS}/{order['id']}"
    problem(await shop.get(path), 404)
    problem(await shop.post(f"{path}/status", {"status": "CONFIRMED"}), 404)
    problem(await shop.post(f"{path}/cancel", {}), 404)
    problem(await shop.get(f"/storefront/orders/{order['id']}", shop.contact()), 404)
    assert (await other.get(path)).json()["status"] == "PENDING"


async def test_money_is_exact(shop: Shop) -> None:
    order = await shop.placed(shop.order_body((2, 333)))

    assert order["items"][0]["lineTotal"] == str(Decimal("4.99") * 333)
    assert order["total"] == "1661.67"
