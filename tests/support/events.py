"""Drive a service's consumer as identity would: publish real envelopes to RabbitMQ, wait for effects.

The envelope builders follow identity's event contract (the brief's "Event contract"), so a
consumer's tests exercise exactly the JSON identity's relay puts on the exchange.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import aio_pika
from aio_pika.exceptions import ChannelClosed
from sqlalchemy import MetaData, func, select

from kit.db import Database, utcnow
from kit.events import Actor, EntityRef, EventEnvelope
from kit.settings import PlatformSettings

T = TypeVar("T")

STARTER_LIMITS: dict[str, int | None] = {
    "maxProducts": 100,
    "maxTeamMembers": 3,
    "maxCustomers": 50,
    "maxOrdersPerMonth": 200,
}


async def publish_event(platform: PlatformSettings, *envelopes: EventEnvelope) -> None:
    """Publish envelopes, in order, to the run's topic exchange: persistent, keyed `Type.vN`."""
    connection = await aio_pika.connect(platform.broker_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            f"{platform.namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        for envelope in envelopes:
            message = aio_pika.Message(
                envelope.model_dump_json(by_alias=True).encode(),
                message_id=str(envelope.id),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            await exchange.publish(message, routing_key=envelope.routing_key)


async def queue_counts(platform: PlatformSettings, queue: str) -> tuple[int, int] | None:
    """(ready messages, consumers) of a queue, or None while it does not exist."""
    connection = await aio_pika.connect(platform.broker_url)
    async with connection:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except ChannelClosed:
            return None
        result = declared.declaration_result
        return result.message_count or 0, result.consumer_count or 0


async def wait_for_consumer(platform: PlatformSettings, service: str) -> None:
    """Wait until `service` consumes its queue; events published before it is bound would be lost."""

    async def consuming() -> bool:
        counts = await queue_counts(platform, f"{platform.namespace}.{service}.events")
        return counts is not None and counts[1] > 0

    await wait_until(consuming, what=f"{service} to consume its queue")


async def wait_until_drained(platform: PlatformSettings, service: str) -> None:
    """Wait until no message waits in `service`'s queue (some may still be in its consumer's hands)."""

    async def drained() -> bool:
        counts = await queue_counts(platform, f"{platform.namespace}.{service}.events")
        return counts is not None and counts[0] == 0

    await wait_until(drained, what=f"{service}'s queue to drain")


async def dead_lettered(platform: PlatformSettings, service: str) -> int:
    """Messages parked in `service`'s dead-letter queue."""
    counts = await queue_counts(platform, f"{platform.namespace}.{service}.events.dlq")
    return counts[0] if counts else 0


async def wait_until(
    predicate: Callable[[], Awaitable[T | None]],
    *,
    within: float = 10.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll `predicate` until it returns something truthy, and return that."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(interval)


async def times_processed(database: Database, metadata: MetaData, event_id: uuid.UUID) -> int:
    """How many processed-event records the consumer holds for `event_id` (dedupe keeps it at most 1)."""
    processed = metadata.tables["processed_events"]
    async with database.sessionmaker() as session:
        statement = select(func.count()).select_from(processed).where(processed.c.event_id == event_id)
        return int(await session.scalar(statement) or 0)


async def wait_until_processed(database: Database, metadata: MetaData, *envelopes: EventEnvelope) -> None:
    for envelope in envelopes:

        async def processed(envelope: EventEnvelope = envelope) -> bool:
            return await times_processed(database, metadata, envelope.id) > 0

        await wait_until(processed, what=f"{envelope.type} {envelope.id} to be processed")


def _envelope(
    event_type: str,
    company_id: uuid.UUID,
    entity: EntityRef,
    data: dict[str, Any],
    occurred_at: datetime | None,
) -> EventEnvelope:
    return EventEnvelope(
        type=event_type,
        version=1,
        occurred_at=occurred_at or utcnow(),
        company_id=company_id,
        actor=Actor(type="USER", id=uuid.uuid4()),
        ip_address="203.0.113.7",
        request_id=uuid.uuid4().hex,
        entity=entity,
        data=data,
    )


def company_created(
    company_id: uuid.UUID, *, name: str, slug: str, occurred_at: datetime | None = None
) -> EventEnvelope:
    data = {"id": str(company_id), "name": name, "slug": slug}
    return _envelope("CompanyCreated", company_id, EntityRef(type="Company", id=str(company_id)), data, occurred_at)


def company_updated(
    company_id: uuid.UUID, *, name: str, slug: str, previous_slug: str, occurred_at: datetime | None = None
) -> EventEnvelope:
    changes = ["name", "slug"] if slug != previous_slug else ["name"]
    data = {"id": str(company_id), "name": name, "slug": slug, "previousSlug": previous_slug, "changes": changes}
    return _envelope("CompanyUpdated", company_id, EntityRef(type="Company", id=str(company_id)), data, occurred_at)


def _subscription_event(
    event_type: str,
    company_id: uuid.UUID,
    *,
    plan_code: str,
    status: str,
    trial_ends_at: datetime | None,
    limits: dict[str, int | None],
    occurred_at: datetime | None,
) -> EventEnvelope:
    subscription_id = str(uuid.uuid4())
    data = {
        "id": subscription_id,
        "planCode": plan_code,
        "status": status,
        "trialEndsAt": trial_ends_at.isoformat() if trial_ends_at else None,
        "limits": limits,
    }
    return _envelope(event_type, company_id, EntityRef(type="Subscription", id=subscription_id), data, occurred_at)


def trial_started(
    company_id: uuid.UUID,
    *,
    trial_ends_at: datetime | None = None,
    limits: dict[str, int | None] | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    return _subscription_event(
        "TrialStarted",
        company_id,
        plan_code="starter",
        status="TRIALING",
        trial_ends_at=trial_ends_at or utcnow() + timedelta(days=14),
        limits=limits or STARTER_LIMITS,
        occurred_at=occurred_at,
    )


def subscription_changed(
    company_id: uuid.UUID,
    *,
    plan_code: str,
    status: str,
    limits: dict[str, int | None],
    trial_ends_at: datetime | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    return _subscription_event(
        "SubscriptionChanged",
        company_id,
        plan_code=plan_code,
        status=status,
        trial_ends_at=trial_ends_at,
        limits=limits,
        occurred_at=occurred_at,
    )
