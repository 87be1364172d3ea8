"""Webhooks end to end, through the gateway only, on the full topology (issue 14): an order placed reaches a
real receiver on 127.0.0.1 with the whole order, signed (verified by the `standardwebhooks` package); a receiver
that is down, then up, gets every delivery and none twice; an API key with webhooks:read lists but cannot create.

The shared topology allows 127.0.0.0/8 and retries within seconds (tests/support/systems.py)."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.e2e.test_catalog import created, open_catalog
from tests.support.events import wait_until
from tests.support.systems import RunningSystem
from tests.webhooks.receiver import Answer, Received, Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def owner(full_system: RunningSystem) -> AsyncIterator[httpx.AsyncClient]:
    """A new company's owner on the API, once the catalog knows the company."""
    async with httpx.AsyncClient(base_url=full_system.base_url, timeout=30) as client:
        await open_catalog(client)
        yield client


async def subscribe(owner: httpx.AsyncClient, url: str, events: list[str]) -> dict[str, Any]:
    webhook = created(await owner.post("/api/v1/webhooks", json={"url": url, "events": events}))
    assert webhook["secret"].startswith("whsec_")
    return webhook


async def new_product(owner: httpx.AsyncClient) -> dict[str, Any]:
    return created(await owner.post("/api/v1/products", json={"sku": "HOOK-1", "name": "Hooks", "unitPrice": "2.50"}))


def verified_payload(received: Received, secret: str) -> dict[str, Any]:
    """The delivery's JSON, once `standardwebhooks` (not our code) accepts its signature with `secret`."""
    payload = received.verified(secret)
    assert isinstance(payload, dict)
    return payload


async def place(owner: httpx.AsyncClient, product_id: str, quantity: int) -> dict[str, Any]:
    body = {"items": [{"productId": product_id, "quantity": quantity}], "poNumber": f"PO-{quantity}"}

    async def placed() -> dict[str, Any] | None:
        # Orders hears of the product a moment after it is created.
        response = await owner.post("/api/v1/orders", json=body)
        return response.json() if response.status_code == 201 else None

    order: dict[str, Any] = await wait_until(placed, within=20, what="the order")
    return order


async def received_at(receiver: Receiver, path: str, count: int) -> list[Received]:
    async def arrived() -> list[Received] | None:
        found = receiver.at(path)
        return found if len(found) >= count else None

    return await wait_until(arrived, within=30, interval=0.05, what=f"{count} deliveries at {path}")


async def deliveries(owner: httpx.AsyncClient, webhook_id: str) -> list[dict[str, Any]]:
    answer = await owner.get(f"/api/v1/webhooks/{webhook_id}/deliveries", params={"limit": "100"})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_an_order_placed_through_the_gateway_reaches_the_receiver_whole_and_signed(
    owner: httpx.AsyncClient, receiver: Receiver
):
    webhook = await subscribe(owner, receiver.url("/orders"), ["OrderPlaced"])
    product = await new_product(owner)

    order = await place(owner, product["id"], 12)

    [received] = await received_at(receiver, "/orders", 1)
    payload = verified_payload(received, webhook["secret"])
    assert payload["type"] == "OrderPlaced"
    envelope = payload["data"]
    assert (envelope["type"], envelope["id"]) == ("OrderPlaced", received.webhook_id)
    placed = envelope["data"]
    # The whole order, as GET /orders/{id} shows it: not just its id.
    assert (placed["id"], placed["number"], placed["total"], placed["poNumber"]) == (
        order["id"],
        order["number"],
        order["total"],
        "PO-12",
    )
    assert [(line["productId"], line["quantity"], line["lineTotal"]) for line in placed["items"]] == [
        (product["id"], 12, "30.00")
    ]
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"] == "Distribu-Webhooks/1"

    async def succeeded() -> list[dict[str, Any]] | None:
        items = await deliveries(owner, webhook["id"])
        return items if items and items[0]["status"] == "SUCCEEDED" else None

    [delivery] = await wait_until(succeeded, within=10, what="the delivery recorded as SUCCEEDED")
    assert delivery["eventId"] == received.webhook_id
    [attempt] = delivery["attempts"]
    assert attempt["statusCode"] == 200
    assert attempt["requestHeaders"]["webhook-id"] == received.webhook_id


async def test_a_receiver_down_then_up_gets_every_delivery_once(owner: httpx.AsyncClient):
    receiver = Receiver()  # its port chosen, nothing listening on it yet: connections are refused
    webhook = await subscribe(owner, receiver.url("/late"), ["OrderPlaced"])
    product = await new_product(owner)
    orders = [await place(owner, product["id"], quantity) for quantity in range(1, 6)]

    async def every_one_failed_once() -> bool:
        items = await deliveries(owner, webhook["id"])
        return len(items) == len(orders) and all(
            item["status"] == "PENDING" and any(attempt["error"] for attempt in item["attempts"]) for item in items
        )

    await wait_until(every_one_failed_once, within=20, what="a refused attempt for each order")
    await receiver.start()
    try:

        async def all_succeeded() -> bool:
            items = await deliveries(owner, webhook["id"])
            return len(items) == len(orders) and all(item["status"] == "SUCCEEDED" for item in items)

        await wait_until(all_succeeded, within=30, interval=0.1, what="every delivery to succeed")
    finally:
        await receiver.stop()

    # Every delivery has succeeded, so none is sent again: what arrived is all that ever will.
    arrived = receiver.at("/late")
    order_ids = sorted(verified_payload(received, webhook["secret"])["data"]["data"]["id"] for received in arrived)
    assert order_ids == sorted(order["id"] for order in orders)
    assert len({received.webhook_id for received in arrived}) == len(orders)


async def test_an_api_key_with_webhooks_read_lists_but_cannot_create(
    full_system: RunningSystem, owner: httpx.AsyncClient, receiver: Receiver
):
    await subscribe(owner, receiver.url("/listed"), ["*"])
    key = created(await owner.post("/api/v1/api-keys", json={"name": "Watcher", "scopes": ["webhooks:read"]}))

    async with httpx.AsyncClient(
        base_url=full_system.base_url, headers={"Authorization": f"Bearer {key['secret']}"}
    ) as integrator:
        listed = await integrator.get("/api/v1/webhooks")
        refused = await integrator.post("/api/v1/webhooks", json={"url": receiver.url("/mine"), "events": ["*"]})
        event_types = await integrator.get("/api/v1/webhooks/event-types")

    assert listed.status_code == 200, listed.text
    [shown] = listed.json()["items"]
    assert shown["url"] == receiver.url("/listed")
    assert "secret" not in shown
    assert refused.status_code == 403, refused.text
    assert event_types.status_code == 200
    assert "OrderPlaced" in {item["type"] for item in event_types.json()["items"]}
    assert len((await owner.get("/api/v1/webhooks")).json()["items"]) == 1


async def test_a_receiver_answering_410_disables_its_webhook_with_a_banner_on_the_dashboard(
    owner: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.answer_next(Answer(status=410, body="gone"))
    webhook = await subscribe(owner, receiver.url("/gone"), ["WebhookTest"])
    assert (await owner.post(f"/api/v1/webhooks/{webhook['id']}/test")).status_code == 202

    async def disabled() -> dict[str, Any] | None:
        shown: dict[str, Any] = (await owner.get(f"/api/v1/webhooks/{webhook['id']}")).json()
        return shown if not shown["enabled"] else None

    shown = await wait_until(disabled, within=20, what="the webhook disabled by its 410")
    assert (shown["disabledAutomatically"], shown["disabledReason"]) == (True, "The receiver answered 410 Gone.")
    page = (await owner.get("/dashboard/webhooks")).text
    assert 'data-testid="webhook-disabled-banner"' in page
    assert "The receiver answered 410 Gone." in page

    # A person disabling one is no news to them: no banner for it.
    assert (await owner.patch(f"/api/v1/webhooks/{webhook['id']}", json={"enabled": True})).status_code == 200
    assert (await owner.patch(f"/api/v1/webhooks/{webhook['id']}", json={"enabled": False})).status_code == 200
    assert 'data-testid="webhook-disabled-banner"' not in (await owner.get("/dashboard/webhooks")).text
