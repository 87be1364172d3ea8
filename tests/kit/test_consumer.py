"""Consumers on RabbitMQ: retries through the delay queues, a DLQ at the end, every event applied once."""

import asyncio
import secrets
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aiormq.exceptions import ChannelPreconditionFailed
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import ATTEMPT_HEADER, OutgoingMessage, RabbitBus
from kit.consumer import EventConsumer
from kit.db import Database
from kit.events import Actor, EntityRef, EventEnvelope
from kit.settings import PlatformSettings
from tests.conftest import RETRY_DELAYS
from tests.kit.conftest import EFFECTS, METADATA
from tests.support.broker import delete_service_queues, wait_for_queue


@dataclass
class RunningConsumer:
    queue: str
    bus: RabbitBus
    database: Database

    async def publish(self, envelope: EventEnvelope) -> None:
        await self.bus.publish(
            OutgoingMessage(
                message_id=str(envelope.id),
                routing_key=envelope.routing_key,
                body=envelope.model_dump_json(by_alias=True).encode(),
            )
        )

    async def effects(self, event_id: uuid.UUID) -> int:
        async with self.database.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).where(EFFECTS.c.event_id == event_id)) or 0)

    async def wait_for_effect(self, event_id: uuid.UUID, within: float = 15.0) -> None:
        deadline = time.monotonic() + within
        while await self.effects(event_id) == 0:
            if time.monotonic() > deadline:
                pytest.fail("the event was never applied")
            await asyncio.sleep(0.05)


StartConsumer = Callable[[EventConsumer], Awaitable[RunningConsumer]]


@pytest.fixture
async def start_consumer(
    database: Database, platform: PlatformSettings, broker: AbstractRobustConnection
) -> AsyncIterator[StartConsumer]:
    buses: list[tuple[RabbitBus, str]] = []

    async def start(consumer: EventConsumer) -> RunningConsumer:
        bus = RabbitBus(platform.broker_url, platform.namespace, platform.consumer_retry_delays)
        await bus.start()
        buses.append((bus, consumer.service))
        await consumer.start(bus, database, METADATA, platform.namespace)
        queue = f"{platform.namespace}.{consumer.service}.events"
        await wait_for_queue(broker, f"{queue}.dlq")
        return RunningConsumer(queue, bus, database)

    yield start
    for bus, service in buses:
        await bus.close()
        await delete_service_queues(broker, platform.namespace, service, len(RETRY_DELAYS))


def _service() -> str:
    return "kit" + secrets.token_hex(3)


def _envelope(event_type: str) -> EventEnvelope:
    return EventEnvelope(
        type=event_type,
        version=1,
        company_id=uuid.uuid4(),
        actor=Actor(type="SYSTEM"),
        entity=EntityRef(type="Thing", id="t-1"),
        data={"n": 1},
    )


async def _apply(session: AsyncSession, envelope: EventEnvelope) -> None:
    await session.execute(insert(EFFECTS).values(event_id=envelope.id, event_type=envelope.type))


async def _dead_letter(broker: AbstractRobustConnection, queue: str, within: float = 15.0) -> AbstractIncomingMessage:
    channel = await broker.channel()
    deadline = time.monotonic() + within
    while True:
        message = await (await channel.get_queue(f"{queue}.dlq")).get(fail=False)
        if message is not None:
            await message.ack()
            await channel.close()
            return message
        if time.monotonic() > deadline:
            pytest.fail("nothing reached the dead-letter queue")
        await asyncio.sleep(0.05)


async def _messages_in(broker: AbstractRobustConnection, queue: str) -> int:
    channel = await broker.channel()
    declared = await channel.declare_queue(queue, passive=True)
    await channel.close()
    return int(declared.declaration_result.message_count or 0)


async def test_a_failing_handler_is_retried_through_the_delay_queues_and_applied_once(
    start_consumer: StartConsumer, broker: AbstractRobustConnection
) -> None:
    calls: Counter[uuid.UUID] = Counter()
    consumer = EventConsumer(_service())

    @consumer.on("KitFlaky")
    async def flaky(session: AsyncSession, envelope: EventEnvelope) -> None:
        calls[envelope.id] += 1
        await _apply(session, envelope)  # rolled back with each failure
        if calls[envelope.id] <= 2:
            raise RuntimeError("transient failure")

    running = await start_consumer(consumer)
    event = _envelope("KitFlaky")
    await running.publish(event)

    await running.wait_for_effect(event.id)
    await asyncio.sleep(0.5)
    assert calls[event.id] == 3
    assert await running.effects(event.id) == 1
    assert await _messages_in(broker, f"{running.queue}.dlq") == 0


async def test_a_handler_that_always_fails_parks_the_event_in_the_dead_letter_queue(
    start_consumer: StartConsumer, broker: AbstractRobustConnection
) -> None:
    calls: Counter[uuid.UUID] = Counter()
    consumer = EventConsumer(_service())

    @consumer.on("KitPoison")
    async def poison(session: AsyncSession, envelope: EventEnvelope) -> None:
        calls[envelope.id] += 1
        await _apply(session, envelope)
        raise RuntimeError("cannot handle this one")

    running = await start_consumer(consumer)
    event = _envelope("KitPoison")
    await running.publish(event)

    parked = await _dead_letter(broker, running.queue)
    headers = parked.headers or {}
    assert parked.message_id == str(event.id)
    assert EventEnvelope.model_validate_json(parked.body) == event
    assert "cannot handle this one" in str(headers["x-distribu-error"])
    assert headers[ATTEMPT_HEADER] == len(RETRY_DELAYS) + 1
    assert parked.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert calls[event.id] == len(RETRY_DELAYS) + 1  # the first delivery plus one per retry delay
    assert await running.effects(event.id) == 0
    # Not recorded as processed: replaying it from the DLQ once fixed applies it.
    processed = METADATA.tables["processed_events"]
    async with running.database.sessionmaker() as session:
        assert await session.scalar(select(processed.c.event_id).where(processed.c.event_id == event.id)) is None


async def test_a_duplicate_delivery_is_applied_once(start_consumer: StartConsumer) -> None:
    calls: Counter[uuid.UUID] = Counter()
    consumer = EventConsumer(_service())

    @consumer.on("KitCounted", "KitMarker")
    async def counted(session: AsyncSession, envelope: EventEnvelope) -> None:
        calls[envelope.id] += 1
        await _apply(session, envelope)

    running = await start_consumer(consumer)
    event = _envelope("KitCounted")
    await running.publish(event)
    await running.wait_for_effect(event.id)

    await running.publish(event)  # the broker redelivers, or a relay published it twice
    marker = _envelope("KitMarker")
    await running.publish(marker)
    await running.wait_for_effect(marker.id)
    await asyncio.sleep(0.3)

    assert calls[event.id] == 1
    assert await running.effects(event.id) == 1


async def test_concurrent_deliveries_of_one_event_apply_it_once(database: Database) -> None:
    applied: list[uuid.UUID] = []
    consumer = EventConsumer(_service())

    @consumer.on("KitRaced")
    async def raced(session: AsyncSession, envelope: EventEnvelope) -> None:
        await _apply(session, envelope)
        applied.append(envelope.id)
        await asyncio.sleep(0.2)  # hold the transaction open while the other delivery arrives

    event = _envelope("KitRaced")
    results = await asyncio.gather(*(consumer.process(database, METADATA, event) for _ in range(2)))

    assert sorted(results) == [False, True]
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).where(EFFECTS.c.event_id == event.id)) == 1


async def test_service_queues_are_durable_quorum_queues(
    start_consumer: StartConsumer, broker: AbstractRobustConnection
) -> None:
    consumer = EventConsumer(_service())

    @consumer.on("KitAnything")
    async def anything(session: AsyncSession, envelope: EventEnvelope) -> None:
        return None

    running = await start_consumer(consumer)

    names = [running.queue, f"{running.queue}.dlq", *(f"{running.queue}.retry.{n}" for n in (1, 2, 3))]
    for name in names:
        channel = await broker.channel()
        await channel.declare_queue(name, passive=True)
        # RabbitMQ refuses to redeclare a queue with a different type: these are quorum queues.
        with pytest.raises(ChannelPreconditionFailed):
            await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "classic"})
        channel = await broker.channel()
        await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"} | _retry_arguments(name))
        await channel.close()


def _retry_arguments(name: str) -> dict[str, object]:
    if ".retry." not in name:
        return {}
    level = int(name.rsplit(".", 1)[1])
    return {
        "x-message-ttl": int(RETRY_DELAYS[level - 1] * 1000),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": name.split(".retry.")[0],
    }


async def test_the_bus_reports_ready_only_once_its_queues_are_bound(
    platform: PlatformSettings, broker: AbstractRobustConnection
) -> None:
    service = _service()
    bus = RabbitBus(platform.broker_url, platform.namespace, platform.consumer_retry_delays)
    await bus.start()
    try:
        consumer = EventConsumer(service)

        @consumer.on("KitAnything")
        async def anything(session: AsyncSession, envelope: EventEnvelope) -> None:
            return None

        await consumer.start(bus, Database("sqlite+aiosqlite://"), METADATA, platform.namespace)
        for _ in range(300):
            try:
                await bus.ping()
                break
            except (ConnectionError, TimeoutError):
                await asyncio.sleep(0.01)
        else:
            pytest.fail("the bus never became ready")
        # Ready means an event published now reaches this service: its last queue is already declared.
        await wait_for_queue(broker, f"{platform.namespace}.{service}.events.dlq", within=0)
    finally:
        await bus.close()
        await delete_service_queues(broker, platform.namespace, service, len(RETRY_DELAYS))
