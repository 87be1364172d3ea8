"""Drive a service's worker as another service would: publish real envelopes to RabbitMQ, wait for effects.

The envelopes themselves are built from the shared contracts (tests/contracts/envelopes.py), so a
consumer's tests exercise exactly the JSON a producer's relay puts on the exchange.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aio_pika
from aio_pika.exceptions import ChannelClosed
from sqlalchemy import MetaData, func, select

from kit.db import Database
from kit.events import EventEnvelope
from kit.settings import PlatformSettings

T = TypeVar("T")


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
