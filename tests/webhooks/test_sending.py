"""Events consumed from RabbitMQ reach a real receiver on loopback, signed (checked by the independent
`standardwebhooks` verifier with the secret shown at creation or rotation), retried on the shortened
schedule, every attempt on record."""

import asyncio
import json
import uuid

from kit.settings import PlatformSettings
from tests.contracts.envelopes import customer_created
from tests.support.events import publish_event, wait_until
from tests.webhooks.conftest import CompanyApi, all_finished
from tests.webhooks.receiver import Answer, Receiver


async def customer_event(platform: PlatformSettings, company: CompanyApi, name: str = "Acme Diner") -> str:
    """Publish a CustomerCreated of the company; returns its event id."""
    event = customer_created(company.company_id, uuid.uuid4(), name=name)
    await publish_event(platform, event)
    return str(event.id)


async def test_an_event_arrives_signed_with_the_secret_shown_at_creation(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    webhook = await company.create(receiver.url())
    event_id = await customer_event(platform, company)

    deliveries = await company.wait_for_deliveries(webhook["id"], all_finished(1))

    [received] = receiver.received
    body = received.verified(webhook["secret"])
    assert isinstance(body, dict)
    assert (body["type"], body["data"]["id"], body["data"]["type"]) == ("CustomerCreated", event_id, "CustomerCreated")
    assert body["data"]["data"]["name"] == "Acme Diner"
    assert received.webhook_id == event_id
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"] == "Distribu-Webhooks/1"
    [attempt] = deliveries[0]["attempts"]
    assert attempt["statusCode"] == 200
    assert attempt["responseBody"] == "ok"
    assert attempt["requestHeaders"]["webhook-id"] == event_id
    assert deliveries[0]["eventId"] == event_id


async def test_after_a_rotation_both_secrets_verify_each_delivery(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    webhook = await company.create(receiver.url())
    rotated = (await company.request("POST", f"/api/v1/webhooks/{webhook['id']}/rotate-secret")).json()
    await customer_event(platform, company)

    await company.wait_for_deliveries(webhook["id"], all_finished(1))

    [received] = receiver.received
    assert rotated["secret"] != webhook["secret"]
    received.verified(rotated["secret"])
    received.verified(webhook["secret"])
    assert len(received.headers["webhook-signature"].split(" ")) == 2


async def test_a_500_is_retried_until_a_200_with_each_attempt_recorded(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    receiver.answer_next(Answer(500, "x" * 10_000), Answer(500, "still down"))
    webhook = await company.create(receiver.url())
    event_id = await customer_event(platform, company)

    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1))

    assert [attempt["statusCode"] for attempt in delivery["attempts"]] == [500, 500, 200]
    assert len(delivery["attempts"][0]["responseBody"]) == 4096
    assert delivery["attempts"][1]["responseBody"] == "still down"
    assert all(attempt["durationMs"] >= 0 for attempt in delivery["attempts"])
    # The same id on every attempt, each verifiable; the retries waited the (shortened) schedule.
    assert [request.webhook_id for request in receiver.received] == [event_id] * 3
    for request in receiver.received:
        request.verified(webhook["secret"])
    gaps = [later.at - earlier.at for earlier, later in zip(receiver.received, receiver.received[1:], strict=False)]
    assert all(gap >= 0.25 for gap in gaps), gaps


async def test_no_answer_within_the_timeout_is_a_failed_attempt(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    receiver.answer_next(Answer(200, delay=2.0))
    webhook = await company.create(receiver.url())
    await customer_event(platform, company)

    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1))

    first, second = delivery["attempts"]
    assert first["statusCode"] is None
    assert "No complete answer within 1 s" in first["error"]
    assert 900 <= first["durationMs"] < 2000
    assert second["statusCode"] == 200


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    receiver.answer_next(Answer(302, headers={"Location": receiver.url("/elsewhere")}))
    webhook = await company.create(receiver.url())
    await customer_event(platform, company)

    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1))

    assert [attempt["statusCode"] for attempt in delivery["attempts"]] == [302, 200]
    assert "Redirects are not followed" in delivery["attempts"][0]["error"]
    assert receiver.at("/elsewhere") == []


async def test_a_410_fails_the_delivery_and_disables_the_endpoint(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    receiver.answer_next(Answer(410, "gone"))
    webhook = await company.create(receiver.url())
    await customer_event(platform, company)

    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1, "FAILED"))

    assert [attempt["statusCode"] for attempt in delivery["attempts"]] == [410]
    shown = await company.webhook(webhook["id"])
    assert (shown["enabled"], shown["disabledReason"], shown["disabledAutomatically"]) == (
        False,
        "The receiver answered 410 Gone.",
        True,
    )
    assert shown["lastDelivery"]["status"] == "FAILED"
    assert shown["lastDelivery"]["statusCode"] == 410


async def test_retry_after_replaces_the_scheduled_delay(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    receiver.answer_next(Answer(503, headers={"Retry-After": "2"}))
    webhook = await company.create(receiver.url())
    await customer_event(platform, company)

    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1))

    first, second = receiver.received
    # The schedule alone would have retried after 0.3 s.
    assert second.at - first.at >= 1.9
    assert [attempt["statusCode"] for attempt in delivery["attempts"]] == [503, 200]


async def test_a_receiver_down_then_up_gets_every_delivery_once(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    webhook = await company.create(receiver.url())
    await receiver.stop()
    event_ids = [await customer_event(platform, company, name=f"Diner {n}") for n in range(5)]

    await company.wait_for_deliveries(
        webhook["id"],
        lambda deliveries: len(deliveries) == 5 and all(d["attempts"] for d in deliveries),
        what="a failed attempt of each delivery",
    )
    await receiver.start()
    deliveries = await company.wait_for_deliveries(webhook["id"], all_finished(5), within=15)

    assert sorted(request.webhook_id for request in receiver.received) == sorted(event_ids)
    assert all(delivery["attempts"][0]["statusCode"] is None for delivery in deliveries)
    assert all("Could not connect" in delivery["attempts"][0]["error"] for delivery in deliveries)
    for request in receiver.received:
        request.verified(webhook["secret"])


async def test_an_event_goes_only_to_the_endpoints_subscribed_to_its_type(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    customers = await company.create(receiver.url("/customers"), ["CustomerCreated"])
    orders = await company.create(receiver.url("/orders"), ["OrderPlaced"])
    await customer_event(platform, company)

    await company.wait_for_deliveries(customers["id"], all_finished(1))
    # Recorded in the same transaction as the customers' one: none for the orders' endpoint by now means none.
    assert await company.deliveries(orders["id"]) == []
    assert receiver.at("/orders") == []


async def test_body_is_the_stored_json_exactly(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    webhook = await company.create(receiver.url())
    await customer_event(platform, company)
    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1))

    detail = (await company.request("GET", f"/api/v1/webhooks/{webhook['id']}/deliveries/{delivery['id']}")).json()

    [received] = receiver.received
    assert json.loads(received.body) == detail["body"]
    assert detail["attempts"] == delivery["attempts"]


async def test_a_manual_retry_sends_a_succeeded_delivery_again(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    webhook = await company.create(receiver.url())
    await customer_event(platform, company)
    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1))

    path = f"/api/v1/webhooks/{webhook['id']}/deliveries/{delivery['id']}/retry"
    response = await company.request("POST", path)

    assert response.status_code == 202
    assert response.json()["status"] == "PENDING"
    await company.wait_for_deliveries(
        webhook["id"], lambda ds: ds[0]["status"] == "SUCCEEDED" and len(ds[0]["attempts"]) == 2
    )
    assert [request.webhook_id for request in receiver.received] == [delivery["eventId"]] * 2


async def test_a_manual_retry_gives_a_failed_delivery_one_more_attempt(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    receiver.answer_next(*[Answer(500)] * 4)
    webhook = await company.create(receiver.url())
    await customer_event(platform, company)
    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1, "FAILED"))
    assert len(delivery["attempts"]) == 4  # the first and the schedule's three retries

    path = f"/api/v1/webhooks/{webhook['id']}/deliveries/{delivery['id']}/retry"
    assert (await company.request("POST", path)).status_code == 202

    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1))
    assert [attempt["statusCode"] for attempt in delivery["attempts"]] == [500, 500, 500, 500, 200]


async def test_the_test_button_sends_a_webhook_test_event_to_that_endpoint_only(
    company: CompanyApi, receiver: Receiver
) -> None:
    tested = await company.create(receiver.url("/tested"))
    other = await company.create(receiver.url("/other"))

    response = await company.request("POST", f"/api/v1/webhooks/{tested['id']}/test")

    assert response.status_code == 202
    assert response.json()["eventType"] == "WebhookTest"
    await company.wait_for_deliveries(tested["id"], all_finished(1))
    [received] = receiver.at("/tested")
    body = received.verified(tested["secret"])
    assert isinstance(body, dict)
    assert body["type"] == "WebhookTest"
    assert body["data"]["data"]["webhookId"] == tested["id"]
    assert await company.deliveries(other["id"]) == []


async def test_a_delivery_leaves_within_moments_of_the_event(
    company: CompanyApi, receiver: Receiver, platform: PlatformSettings
) -> None:
    webhook = await company.create(receiver.url())
    loop = asyncio.get_running_loop()
    published = loop.time()
    await customer_event(platform, company)

    await wait_until(lambda: _received(receiver), what="the delivery")

    # Woken by the consumer's commit, not by the 0.1 s poll alone: well under a second end to end.
    assert receiver.received[0].at - published < 1.0
    assert webhook["id"]


async def _received(receiver: Receiver) -> bool:
    return bool(receiver.received)
