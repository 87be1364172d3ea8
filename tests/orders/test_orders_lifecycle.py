"""An order's lifecycle (PENDING → CONFIRMED → SHIPPED → DELIVERED, or cancelled from PENDING or CONFIRMED) and
the staff list, filters, pages and CSV export."""

import asyncio
import csv
import io
from typing import Any

import pytest

from kit.settings import PlatformSettings
from tests.orders.ordering import ORDERS, Shop, open_shop
from tests.support.services import RunningService

PROBLEM = "application/problem+json"


@pytest.fixture
async def shop(orders: RunningService, platform: PlatformSettings) -> Shop:
    return await open_shop(orders, platform)


async def move(shop: Shop, order: dict[str, Any], status: str, headers: dict[str, str] | None = None) -> Any:
    return await shop.post(f"{ORDERS}/{order['id']}/status", {"status": status}, headers)


async def test_staff_confirm_ship_and_deliver_an_order_with_history_and_events(shop: Shop) -> None:
    order = await shop.placed()

    for status in ("CONFIRMED", "SHIPPED"):
        response = await move(shop, order, status)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    delivered = await move(shop, order, "DELIVERED", shop.api_key("orders:write"))

    assert delivered.status_code == 200, delivered.text
    body = delivered.json()
    assert [(step["status"], step["actor"]["type"], step["actor"]["name"]) for step in body["statusHistory"]] == [
        ("PENDING", "USER", "Olive Owner"),
        ("CONFIRMED", "USER", "Olive Owner"),
        ("SHIPPED", "USER", "Olive Owner"),
        ("DELIVERED", "SYSTEM", "ERP sync"),
    ]
    assert body["updatedAt"] > body["createdAt"]
    assert (await shop.get(f"{ORDERS}/{order['id']}")).json() == body
    events = await shop.outbox("OrderStatusChanged")
    assert [(event.entity.version, event.data["fromStatus"], event.data["toStatus"]) for event in events] == [
        (2, "PENDING", "CONFIRMED"),
        (3, "CONFIRMED", "SHIPPED"),
        (4, "SHIPPED", "DELIVERED"),
    ]
    assert {event.data["customerId"] for event in events} == {str(shop.customer_id)}
    assert {event.data["number"] for event in events} == {"SO-000001"}


@pytest.mark.parametrize(
    ("steps", "target", "allowed"),
    [
        ([], "SHIPPED", "can move to CONFIRMED or be cancelled"),
        ([], "DELIVERED", "can move to CONFIRMED or be cancelled"),
        ([], "PENDING", "can move to CONFIRMED or be cancelled"),
        ([], "CANCELLED", "can move to CONFIRMED or be cancelled"),
        (["CONFIRMED"], "CONFIRMED", "can move to SHIPPED or be cancelled"),
        (["CONFIRMED"], "DELIVERED", "can move to SHIPPED or be cancelled"),
        (["CONFIRMED", "SHIPPED"], "CONFIRMED", "can move to DELIVERED"),
        (["CONFIRMED", "SHIPPED", "DELIVERED"], "SHIPPED", "can no longer change"),
        (["CANCEL"], "CONFIRMED", "can no longer change"),
    ],
)
async def test_any_other_move_is_409_naming_what_the_order_may_still_do(
    shop: Shop, steps: list[str], target: str, allowed: str
) -> None:
    order = await shop.placed()
    for step in steps:
        if step == "CANCEL":
            assert (await shop.post(f"{ORDERS}/{order['id']}/cancel", {})).status_code == 200
        else:
            assert (await move(shop, order, step)).status_code == 200
    before = await shop.get(f"{ORDERS}/{order['id']}")
    events_before = await shop.outbox()

    response = await move(shop, order, target)

    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == PROBLEM
    assert allowed in response.json()["detail"]
    assert (await shop.get(f"{ORDERS}/{order['id']}")).json() == before.json()
    assert await shop.outbox() == events_before


async def test_cancel_with_a_reason_from_pending_or_confirmed_and_never_after_shipping(shop: Shop) -> None:
    pending, confirmed, shipped = [await shop.placed() for _ in range(3)]
    await move(shop, confirmed, "CONFIRMED")
    for status in ("CONFIRMED", "SHIPPED"):
        await move(shop, shipped, status)

    first = await shop.post(f"{ORDERS}/{pending['id']}/cancel", {"reason": "Customer changed their mind"})
    second = await shop.post(f"{ORDERS}/{confirmed['id']}/cancel", {})
    refused = await shop.post(f"{ORDERS}/{shipped['id']}/cancel", {"reason": "too late"})
    again = await shop.post(f"{ORDERS}/{pending['id']}/cancel", {})

    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["status"], body["cancelReason"]) == ("CANCELLED", "Customer changed their mind")
    assert body["statusHistory"][-1]["reason"] == "Customer changed their mind"
    assert (second.json()["status"], second.json()["cancelReason"]) == ("CANCELLED", None)
    assert refused.status_code == 409
    assert "SHIPPED" in refused.json()["detail"]
    assert again.status_code == 409
    cancelled = await shop.outbox("OrderCancelled")
    assert [(e.entity.id, e.entity.version, e.data["fromStatus"], e.data["reason"]) for e in cancelled] == [
        (pending["id"], 2, "PENDING", "Customer changed their mind"),
        (confirmed["id"], 3, "CONFIRMED", None),
    ]


async def test_concurrent_moves_of_one_order_take_turns(shop: Shop) -> None:
    order = await shop.placed()

    responses = await asyncio.gather(*(move(shop, order, "CONFIRMED") for _ in range(5)))

    assert sorted(response.status_code for response in responses) == [200] + [409] * 4
    assert len(await shop.outbox("OrderStatusChanged")) == 1


async def test_viewers_and_storefront_callers_cannot_move_orders(shop: Shop) -> None:
    order = await shop.placed()

    assert (await move(shop, order, "CONFIRMED", shop.api_key("orders:read"))).status_code == 403
    assert (await move(shop, order, "CONFIRMED", shop.contact())).status_code == 403
    assert (await move(shop, order, "CONFIRMED", shop.anonymous())).status_code == 401
    assert (await shop.get(f"{ORDERS}/{order['id']}")).json()["status"] == "PENDING"


async def test_list_filters_pages_newest_first_and_export(
    orders: RunningService, platform: PlatformSettings, shop: Shop
) -> None:
    other = await open_shop(orders, platform)
    await other.placed()
    internal = await shop.placed({"items": [{"productId": str(shop.products[1]), "quantity": 2}], "poNumber": "=HACK"})
    customers = [await shop.placed(shop.order_body((0, index + 1), poNumber=f"PO-{index}")) for index in range(4)]
    await move(shop, customers[0], "CONFIRMED")

    async def listed(**params: str) -> list[str]:
        response = await shop.orders.client.get(ORDERS, params=params, headers=shop.staff())
        assert response.status_code == 200, response.text
        return [item["number"] for item in response.json()["items"]]

    assert await listed() == ["SO-000005", "SO-000004", "SO-000003", "SO-000002", "SO-000001"]
    assert await listed(status="CONFIRMED") == ["SO-000002"]
    assert await listed(customerId=str(shop.customer_id)) == ["SO-000005", "SO-000004", "SO-000003", "SO-000002"]
    assert await listed(q="SO-000003") == ["SO-000003"]
    assert await listed(q="so-3") == ["SO-000003"]
    # A bare number matches the order number and any PO number holding it.
    assert await listed(q="3") == ["SO-000005", "SO-000003"]
    assert await listed(q="po-2") == ["SO-000004"]
    assert await listed(q="corner") == ["SO-000005", "SO-000004", "SO-000003", "SO-000002"]
    assert await listed(**{"from": customers[1]["createdAt"], "to": customers[2]["createdAt"]}) == ["SO-000003"]
    assert await listed(**{"to": internal["createdAt"][:10]}) == await listed()

    first = (await shop.get(ORDERS, limit="2")).json()
    second = (await shop.get(ORDERS, limit="2", cursor=first["nextCursor"])).json()
    third = (await shop.get(ORDERS, limit="2", cursor=second["nextCursor"])).json()
    pages = [[item["number"] for item in page["items"]] for page in (first, second, third)]
    assert pages == [["SO-000005", "SO-000004"], ["SO-000003", "SO-000002"], ["SO-000001"]]
    assert third["nextCursor"] is None
    summary = first["items"][0]
    assert (summary["itemCount"], summary["total"], summary["customerName"]) == (1, "32.00", "Corner Grocery")

    export = await shop.get(f"{ORDERS}/export", customerId=str(shop.customer_id))
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == [
        "number",
        "createdAt",
        "status",
        "customer",
        "poNumber",
        "currency",
        "subtotal",
        "total",
        "items",
    ]
    assert [row[0] for row in rows[1:]] == ["SO-000005", "SO-000004", "SO-000003", "SO-000002"]
    assert rows[-1][2:] == ["CONFIRMED", "Corner Grocery", "PO-0", "USD", "8.00", "8.00", "1"]
    everything = list(csv.reader(io.StringIO((await shop.get(f"{ORDERS}/export")).text)))
    assert everything[-1][3:5] == ["", "'=HACK"]
    assert (await shop.get(f"{ORDERS}/export", shop.contact())).status_code == 403
    assert (await shop.get(ORDERS, cursor="nonsense")).status_code == 400
