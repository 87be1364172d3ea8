"""The sender driven by hand, on a service whose worker is not running: the schedule lives in the database
(a new sender picks a due delivery up), two senders on one database never send one attempt twice, a
literal address is checked at connect time, failing for the whole window disables the endpoint (and
re-enabling resumes it), and retention prunes old deliveries and their attempts only."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from kit.context import ContextSigner
from kit.db import Database, utcnow
from kit.settings import PlatformSettings
from services.webhooks.app import SPEC, consumer
from services.webhooks.deliveries.sender import WebhookSender, prune_old_deliveries
from services.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from services.webhooks.settings import WebhooksSettings
from tests.conftest import DatabaseFactory
from tests.contracts.envelopes import company_deleted
from tests.support.events import wait_until
from tests.support.services import RunningService
from tests.webhooks.conftest import FAST, CompanyApi, service_without_worker
from tests.webhooks.receiver import Answer, Receiver


@pytest.fixture(scope="module")
async def webhooks_settings(new_database: DatabaseFactory) -> WebhooksSettings:
    return WebhooksSettings(database_url=await new_database("webhooks_sender"), **FAST)


@pytest.fixture(scope="module")
async def webhooks(
    platform: PlatformSettings, webhooks_settings: WebhooksSettings, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    async with service_without_worker(webhooks_settings, platform, signer) as service:
        yield service


def sender_settings(base: WebhooksSettings, **changes: Any) -> WebhooksSettings:
    return base.model_copy(update=changes)


async def send_test_event(company: CompanyApi, webhook_id: str) -> dict[str, Any]:
    response = await company.request("POST", f"/api/v1/webhooks/{webhook_id}/test")
    assert response.status_code == 202, response.text
    delivery: dict[str, Any] = response.json()
    return delivery


async def stored(database: Database, delivery_id: str) -> WebhookDelivery:
    async with database.sessionmaker() as session:
        delivery = await session.get(WebhookDelivery, uuid.UUID(delivery_id))
        assert delivery is not None
        return delivery


async def attempts(database: Database, delivery_id: str) -> list[tuple[int | None, str | None]]:
    """Each attempt's status code and error, in order: what an assertion on the attempts shows when it fails."""
    async with database.sessionmaker() as session:
        statement = (
            select(WebhookAttempt.status_code, WebhookAttempt.error)
            .where(WebhookAttempt.delivery_id == uuid.UUID(delivery_id))
            .order_by(WebhookAttempt.at)
        )
        return [(row.status_code, row.error) for row in await session.execute(statement)]


async def test_the_schedule_survives_the_sender(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService, webhooks_settings: WebhooksSettings
) -> None:
    receiver.answer_next(Answer(500))
    webhook = await company.create(receiver.url())
    delivery = await send_test_event(company, webhook["id"])
    # A first retry far enough ahead that it is still to come when checked, however busy the machine.
    settings = sender_settings(webhooks_settings, retry_schedule_seconds=[3.0, 0.3, 0.3])

    async with WebhookSender(webhooks.database, settings) as first:
        assert await first.send_due() == 1
    after_failure = await stored(webhooks.database, delivery["id"])
    assert after_failure.status == "PENDING"
    assert after_failure.attempt_count == 1
    assert after_failure.next_attempt_at is not None
    assert after_failure.next_attempt_at > utcnow()
    assert after_failure.claimed_until is None

    # Another sender, as after a restart, finds the retry in the database once it is due.
    database = Database(webhooks_settings.database_url, pool_size=2)
    try:
        async with WebhookSender(database, settings) as second:
            assert await second.send_due() == 0  # not due yet
            await wait_until(second.send_due, what="the retry to come due")
    finally:
        await database.dispose()

    finished = await stored(webhooks.database, delivery["id"])
    assert (finished.status, finished.attempt_count) == ("SUCCEEDED", 2)
    assert [request.webhook_id for request in receiver.received] == [delivery["eventId"]] * 2


async def test_two_senders_on_one_database_never_send_an_attempt_twice(
    webhooks: RunningService, webhooks_settings: WebhooksSettings, receiver: Receiver
) -> None:
    receiver.answer_next(*[Answer(200, delay=0.02)] * 200)
    company = CompanyApi(webhooks)
    webhooks_ = [await company.create(receiver.url(f"/{n}")) for n in range(4)]
    deliveries = [await send_test_event(company, webhook["id"]) for webhook in webhooks_ for _ in range(15)]
    # What is checked is who claims what: a loaded machine must not turn a slow answer into a retry (a second
    # attempt the receiver never saw ends the test on a timeout, not on a double claim).
    settings = sender_settings(webhooks_settings, sender_concurrency=7, timeout_seconds=30.0)

    async def drain(database: Database) -> None:
        async with WebhookSender(database, settings) as sender:
            while await sender.send_due():
                pass

    databases = [Database(webhooks_settings.database_url, pool_size=4) for _ in range(2)]
    try:
        await asyncio.gather(*(drain(database) for database in databases))
    finally:
        for database in databases:
            await database.dispose()

    sent = [request.webhook_id for request in receiver.received]
    assert sorted(sent) == sorted(delivery["eventId"] for delivery in deliveries)
    for delivery in deliveries:
        assert (await stored(webhooks.database, delivery["id"])).attempt_count == 1, await attempts(
            webhooks.database, delivery["id"]
        )


async def test_a_literal_loopback_address_is_refused_at_connect_time_outside_the_allow_list(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService, webhooks_settings: WebhooksSettings
) -> None:
    # Created while loopback was allowed; the allow-list has been emptied since.
    webhook = await company.create(receiver.url())
    await send_test_event(company, webhook["id"])

    async with WebhookSender(webhooks.database, sender_settings(webhooks_settings, allowed_networks=[])) as sender:
        assert await sender.send_due() == 1

    [attempt] = (await company.deliveries(webhook["id"]))[0]["attempts"]
    assert attempt["statusCode"] is None
    assert attempt["error"] == "127.0.0.1 is a loopback address: not allowed"
    assert receiver.received == []
    # Its retries would be due during the next tests, whose senders count what they send.
    assert (await company.request("DELETE", f"/api/v1/webhooks/{webhook['id']}")).status_code == 204


async def outbox_of(database: Database, company_id: uuid.UUID) -> list[dict[str, Any]]:
    outbox = SPEC.metadata.tables["outbox"]
    async with database.sessionmaker() as session:
        statement = select(outbox.c.payload).where(outbox.c.company_id.in_([company_id])).order_by(outbox.c.created_at)
        return [payload for (payload,) in await session.execute(statement)]


async def test_failing_for_the_whole_window_disables_and_enabling_resumes(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService, webhooks_settings: WebhooksSettings
) -> None:
    receiver.answer_next(*[Answer(500)] * 100)
    webhook = await company.create(receiver.url())
    delivery = await send_test_event(company, webhook["id"])
    # A window of 1 s and retries every 0.2 s, never running out within it.
    settings = sender_settings(webhooks_settings, disable_after_hours=1 / 3600, retry_schedule_seconds=[0.2] * 50)

    async with WebhookSender(webhooks.database, settings) as sender:

        async def disabled() -> bool:
            await sender.send_due()
            return not (await company.webhook(webhook["id"]))["enabled"]

        await wait_until(disabled, within=10, what="the endpoint to be disabled")

        shown = await company.webhook(webhook["id"])
        assert shown["disabledReason"].startswith("Every delivery attempt has failed since ")
        assert shown["disabledAutomatically"] is True
        pending = await stored(webhooks.database, delivery["id"])
        assert pending.status == "PENDING"
        attempts_when_disabled = pending.attempt_count
        assert attempts_when_disabled >= 3  # not at the first failure: after the window, about 1 s of retries
        events = await outbox_of(webhooks.database, company.company_id)
        [disabled_event] = [event for event in events if event["type"] == "WebhookDisabled"]
        assert disabled_event["data"]["automatic"] is True
        assert disabled_event["data"]["reason"] == shown["disabledReason"]
        # Disabled: nothing more is sent, however due.
        await asyncio.sleep(0.3)
        assert await sender.send_due() == 0

        receiver.answers.clear()
        response = await company.request("PATCH", f"/api/v1/webhooks/{webhook['id']}", json={"enabled": True})
        assert response.json()["disabledReason"] is None
        assert await sender.send_due() == 1

    resumed = await stored(webhooks.database, delivery["id"])
    assert (resumed.status, resumed.attempt_count) == ("SUCCEEDED", attempts_when_disabled + 1)
    async with webhooks.database.sessionmaker() as session:
        endpoint = await session.get(WebhookEndpoint, uuid.UUID(webhook["id"]))
        assert endpoint is not None
        assert endpoint.failing_since is None


async def test_retention_prunes_old_deliveries_and_their_attempts_only(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService, webhooks_settings: WebhooksSettings
) -> None:
    webhook = await company.create(receiver.url())
    old = [await send_test_event(company, webhook["id"]) for _ in range(3)]
    async with WebhookSender(webhooks.database, webhooks_settings) as sender:
        await sender.send_due()
    recent = await send_test_event(company, webhook["id"])
    # Age the first three past the 30 days kept (a test cannot wait a month).
    async with webhooks.database.sessionmaker() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([uuid.UUID(delivery["id"]) for delivery in old]))
            .values(created_at=utcnow() - timedelta(days=31))
        )
        await session.commit()

    pruned = await prune_old_deliveries(webhooks.database, webhooks_settings)

    assert pruned == 3
    assert [delivery["id"] for delivery in await company.deliveries(webhook["id"])] == [recent["id"]]
    async with webhooks.database.sessionmaker() as session:
        old_ids = [uuid.UUID(delivery["id"]) for delivery in old]
        attempts = await session.scalar(
            select(func.count()).select_from(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old_ids))
        )
        assert attempts == 0
    assert (await company.webhook(webhook["id"]))["enabled"] is True
    assert (await company.request("DELETE", f"/api/v1/webhooks/{webhook['id']}")).status_code == 204


async def test_nothing_of_a_deleted_company_is_sent_even_before_its_purge(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService, webhooks_settings: WebhooksSettings
) -> None:
    webhook = await company.create(receiver.url())
    await send_test_event(company, webhook["id"])
    deleted = company_deleted(company.company_id, name="Gone Co", slug="gone-co", version=2)

    # This module runs no worker, so the purge stays pending: the deletion alone must stop the sender.
    await consumer.apply(webhooks.database, SPEC.metadata, [deleted])
    async with WebhookSender(webhooks.database, webhooks_settings) as sender:
        await sender.send_due()

    assert receiver.received == []
    [delivery] = await company.deliveries(webhook["id"])
    assert (delivery["status"], delivery["attempts"]) == ("PENDING", [])


async def test_retry_after_is_capped(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService, webhooks_settings: WebhooksSettings
) -> None:
    receiver.answer_next(Answer(429, headers={"Retry-After": "999999"}))
    webhook = await company.create(receiver.url())
    delivery = await send_test_event(company, webhook["id"])

    async with WebhookSender(webhooks.database, sender_settings(webhooks_settings, retry_after_cap_seconds=60)) as s:
        await s.send_due()

    waiting = await stored(webhooks.database, delivery["id"])
    assert waiting.next_attempt_at is not None
    assert timedelta(seconds=55) < waiting.next_attempt_at - utcnow() <= timedelta(seconds=60)
    assert (await company.request("DELETE", f"/api/v1/webhooks/{webhook['id']}")).status_code == 204
