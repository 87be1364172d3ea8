"""Consuming: exactly one delivery per (event, subscribed endpoint) whether the event arrives twice or two
consumers apply it at once on PostgreSQL; a company's events never reach another company's endpoints; and a
deleted company's webhooks are purged, nothing of it sent afterwards."""

import asyncio
import uuid

from sqlalchemy import func, select

from kit.db import Database
from kit.settings import PlatformSettings
from services.webhooks.app import SPEC, consumer
from services.webhooks.models import WebhookDelivery
from services.webhooks.settings import WebhooksSettings
from tests.contracts.envelopes import company_created, company_deleted, customer_created
from tests.support.events import publish_event, times_processed, wait_until, wait_until_drained
from tests.support.purge import company_rows
from tests.support.services import RunningService
from tests.webhooks.conftest import CompanyApi, all_finished
from tests.webhooks.receiver import Answer, Receiver


async def deliveries_of_event(database: Database, event_id: uuid.UUID) -> int:
    async with database.sessionmaker() as session:
        statement = select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.event_id == event_id)
        return int(await session.scalar(statement) or 0)


async def test_the_same_event_applied_twice_gives_one_delivery_per_endpoint(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService
) -> None:
    first = await company.create(receiver.url("/first"))
    second = await company.create(receiver.url("/second"), ["CustomerCreated"])
    event = customer_created(company.company_id, uuid.uuid4(), name="Twice Diner")

    assert await consumer.apply(webhooks.database, SPEC.metadata, [event]) == [event]
    assert await consumer.apply(webhooks.database, SPEC.metadata, [event, event]) == []

    await company.wait_for_deliveries(first["id"], all_finished(1))
    await company.wait_for_deliveries(second["id"], all_finished(1))
    assert await deliveries_of_event(webhooks.database, event.id) == 2
    assert sorted(request.path for request in receiver.received) == ["/first", "/second"]


async def test_two_consumers_applying_at_once_give_one_delivery_per_endpoint(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService, webhooks_settings: WebhooksSettings
) -> None:
    webhooks_ = [await company.create(receiver.url(f"/{n}")) for n in range(3)]
    events = [customer_created(company.company_id, uuid.uuid4(), name=f"Raced {n}") for n in range(10)]
    # Two processes' worth of connections, each applying overlapping batches in its own order.
    databases = [Database(webhooks_settings.database_url, pool_size=4) for _ in range(2)]
    try:
        results = await asyncio.gather(
            consumer.apply(databases[0], SPEC.metadata, events),
            consumer.apply(databases[1], SPEC.metadata, list(reversed(events))),
            consumer.apply(databases[0], SPEC.metadata, events[3:7]),
            consumer.apply(databases[1], SPEC.metadata, events[5:]),
        )
    finally:
        for database in databases:
            await database.dispose()

    # Each event was new to exactly one of the batches.
    assert sorted(str(envelope.id) for new in results for envelope in new) == sorted(str(e.id) for e in events)
    for webhook in webhooks_:
        await company.wait_for_deliveries(webhook["id"], all_finished(10))
    for event in events:
        assert await deliveries_of_event(webhooks.database, event.id) == 3
    assert len(receiver.received) == 30
    assert len({(request.path, request.webhook_id) for request in receiver.received}) == 30


async def test_a_companys_event_never_reaches_another_companys_endpoint(
    webhooks: RunningService, receiver: Receiver, platform: PlatformSettings
) -> None:
    company_a, company_b = CompanyApi(webhooks), CompanyApi(webhooks)
    webhook_a = await company_a.create(receiver.url("/a"))
    webhook_b = await company_b.create(receiver.url("/b"))
    event = customer_created(company_a.company_id, uuid.uuid4(), name="Only A's")

    await publish_event(platform, event)
    await company_a.wait_for_deliveries(webhook_a["id"], all_finished(1))

    assert await company_b.deliveries(webhook_b["id"]) == []
    assert await deliveries_of_event(webhooks.database, event.id) == 1
    [received] = receiver.received
    assert received.path == "/a"
    received.verified(webhook_a["secret"])


async def test_a_deleted_companys_webhooks_are_purged_and_nothing_is_sent_after(
    webhooks: RunningService, receiver: Receiver, platform: PlatformSettings, webhooks_settings: WebhooksSettings
) -> None:
    company = CompanyApi(webhooks)
    created = company_created(company.company_id, name="Gone Co", slug=f"gone-{uuid.uuid4().hex[:8]}")
    await publish_event(platform, created)
    webhook = await company.create(receiver.url())
    # A delivery waiting for its retry, 2 s later, when the company goes.
    receiver.answer_next(Answer(500, headers={"Retry-After": "2"}))
    await publish_event(platform, customer_created(company.company_id, uuid.uuid4(), name="Before"))
    await company.wait_for_deliveries(webhook["id"], lambda ds: bool(ds and ds[0]["attempts"]))
    retry_due = receiver.received[0].at + 2

    deleted = company_deleted(company.company_id, name="Gone Co", slug="gone-co", version=2)
    late = customer_created(company.company_id, uuid.uuid4(), name="After")
    await publish_event(platform, deleted)

    async def purged() -> bool:
        rows = await company_rows(webhooks_settings.database_url, company.company_id)
        return all(count == 0 for count in rows.values())

    await wait_until(purged, what="the company's rows to be purged")
    await publish_event(platform, late)
    # The late event is dropped (its company is deleted here): never processed, never delivered.
    await wait_until_drained(platform, "webhooks")
    assert await times_processed(webhooks.database, SPEC.metadata, late.id) == 0
    # Past the moment the purged retry was due.
    await asyncio.sleep(max(0.0, retry_due - asyncio.get_running_loop().time()) + 0.5)
    assert (await company.request("GET", f"/api/v1/webhooks/{webhook['id']}")).status_code == 404
    assert len(receiver.received) == 1
    assert await deliveries_of_event(webhooks.database, late.id) == 0


async def test_an_event_from_before_the_endpoint_existed_is_not_sent_to_it(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService
) -> None:
    earlier = customer_created(company.company_id, uuid.uuid4(), name="In flight")
    webhook = await company.create(receiver.url())
    later = customer_created(company.company_id, uuid.uuid4(), name="After")

    await consumer.apply(webhooks.database, SPEC.metadata, [earlier, later])

    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1))
    assert delivery["eventId"] == str(later.id)
    assert await deliveries_of_event(webhooks.database, earlier.id) == 0
