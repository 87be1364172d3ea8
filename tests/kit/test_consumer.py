"""Batched consumers on RabbitMQ: one transaction per batch, every event applied once, the message at fault
alone on the retry and dead-letter path, and nothing dropped without a reason."""

import asyncio
import logging
import secrets
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aiormq.exceptions import ChannelPreconditionFailed
from prometheus_client import REGISTRY
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import ATTEMPT_HEADER, ERROR_HEADER, ConsumerLimits, OutgoingMessage, RabbitBus
from kit.consumer import EventConsumer, newest_per_entity
from kit.db import Database
from kit.events import Actor, EntityRef, Event, EventEnvelope
from kit.settings import PlatformSettings
from tests.conftest import RETRY_DELAYS
from tests.kit.conftest import EFFECTS, METADATA
from tests.support.broker import EventPublisher, delete_service_queues, wait_for_queue
from tests.support.events import wait_until
from tests.support.tcp_proxy import TcpProxy


class Counted(Event):
    event_type: ClassVar[str] = "KitCounted"


class Marker(Event):
    event_type: ClassVar[str] = "KitMarker"


class Flaky(Event):
    event_type: ClassVar[str] = "KitFlaky"


class Poisonous(Event):
    event_type: ClassVar[str] = "KitPoisonous"


class Known(Event):
    event_type: ClassVar[str] = "KitKnown"


class Retired(Event):
    event_type: ClassVar[str] = "KitRetired"


@dataclass
class RunningConsumer:
    queue: str
    bus: RabbitBus
    database: Database

    async def publish(self, *envelopes: EventEnvelope) -> None:
        for envelope in envelopes:
            await self.bus.publish(
                OutgoingMessage(
                    message_id=str(envelope.id),
                    routing_key=envelope.routing_key,
                    body=envelope.model_dump_json(by_alias=True).encode(),
                )
            )

    async def effects(self, event_id: uuid.UUID | None = None) -> int:
        statement = select(func.count()).select_from(EFFECTS)
        if event_id is not None:
            statement = statement.where(EFFECTS.c.event_id == event_id)
        async with self.database.sessionmaker() as session:
            return int(await session.scalar(statement) or 0)

    async def wait_for_effect(self, event_id: uuid.UUID) -> None:
        async def applied() -> bool:
            return await self.effects(event_id) > 0

        await wait_until(applied, within=15, what="the event to be applied")


StartConsumer = Callable[..., Awaitable[RunningConsumer]]

TEST_LIMITS = ConsumerLimits(prefetch=256, batch_size=256, batch_linger=0.005, time_limit=5.0, delivery_limit=5)


@pytest.fixture
async def start_consumer(
    database: Database, platform: PlatformSettings, broker: AbstractRobustConnection
) -> AsyncIterator[StartConsumer]:
    buses: list[RabbitBus] = []
    services: set[str] = set()

    async def start(consumer: EventConsumer, limits: ConsumerLimits = TEST_LIMITS) -> RunningConsumer:
        bus = RabbitBus(platform.broker_url, platform.namespace, RETRY_DELAYS, limits)
        await bus.start()
        buses.append(bus)
        services.add(consumer.service)
        await consumer.start(bus, database, METADATA, platform.namespace)
        queue = consumer.queue_name(platform.namespace)
        await _until_ready(bus)
        return RunningConsumer(queue, bus, database)

    yield start
    for bus in buses:
        await bus.close()
    for service in services:
        await delete_service_queues(broker, platform.namespace, service, len(RETRY_DELAYS))


async def _until_ready(bus: RabbitBus) -> None:
    async def ready() -> bool:
        try:
            await bus.ping()
        except (ConnectionError, TimeoutError):
            return False
        return True

    await wait_until(ready, within=15, what="the consumer to bind its queue")


def _service() -> str:
    return "kit" + secrets.token_hex(3)


def _envelope(event: type[Event], *, version: int | None = None, company_id: uuid.UUID | None = None) -> EventEnvelope:
    return EventEnvelope(
        type=event.event_type,
        version=version or event.event_version,
        company_id=company_id or uuid.uuid4(),
        actor=Actor(type="SYSTEM"),
        entity=EntityRef(type="Thing", id="t-1", version=1),
        data={},
    )


async def _apply(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
    rows = [{"event_id": envelope.id, "event_type": envelope.type} for envelope in envelopes]
    await session.execute(insert(EFFECTS), rows)


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


def _dead_lettered(service: str, reason: str) -> float:
    return REGISTRY.get_sample_value("distribu_events_dead_lettered_total", {"service": service, "reason": reason}) or 0


async def test_a_batch_is_applied_in_one_transaction_and_each_event_once(database: Database) -> None:
    received: list[list[uuid.UUID]] = []
    consumer = EventConsumer(_service())

    @consumer.on(Counted)
    async def counted(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        received.append([envelope.id for envelope in envelopes])
        await _apply(session, envelopes)
        if any(envelope.data.get("fail") for envelope in envelopes):
            raise RuntimeError("one of them cannot be applied")

    first, second, third = (_envelope(Counted) for _ in range(3))
    # A redelivery inside the batch, then across batches.
    assert [e.id for e in await consumer.apply(database, METADATA, [first, second, first])] == [first.id, second.id]
    assert [e.id for e in await consumer.apply(database, METADATA, [second, third])] == [third.id]
    assert received == [[first.id, second.id], [third.id]]

    doomed = _envelope(Counted)
    doomed.data["fail"] = True
    fourth = _envelope(Counted)
    with pytest.raises(RuntimeError):
        await consumer.apply(database, METADATA, [fourth, doomed])
    # Nothing of the failed batch stays: neither effects nor processed records, so both can be applied later.
    assert [e.id for e in await consumer.apply(database, METADATA, [fourth])] == [fourth.id]
    async with database.sessionmaker() as session:
        effects = Counter((await session.execute(select(EFFECTS.c.event_id))).scalars())
    assert effects == {first.id: 1, second.id: 1, third.id: 1, fourth.id: 1}


async def test_concurrent_batches_holding_one_event_apply_it_once(database: Database) -> None:
    consumer = EventConsumer(_service())
    held: list[bool] = []

    @consumer.on(Counted)
    async def counted(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        await _apply(session, envelopes)
        if not held:
            held.append(True)
            # Hold the first transaction open until the other batch waits on it for the shared event's record.
            await wait_until(lambda: _waiting_on_locks(database), within=15, what="the other batch to wait")

    shared = _envelope(Counted)
    results = await asyncio.gather(
        consumer.apply(database, METADATA, [_envelope(Counted), shared]),
        consumer.apply(database, METADATA, [shared, _envelope(Counted)]),
    )

    assert sorted(len(new) for new in results) == [1, 2]
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).where(EFFECTS.c.event_id == shared.id)) == 1


async def _waiting_on_locks(database: Database) -> bool:
    """Whether a statement of this test's database waits for a lock another transaction holds."""
    async with database.engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


def test_a_second_handler_for_one_event_type_is_refused_at_registration() -> None:
    consumer = EventConsumer(_service())

    @consumer.on(Counted)
    async def first(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        return None

    with pytest.raises(ValueError, match=r"KitCounted\.v1 already has a handler"):

        @consumer.on(Marker, Counted)
        async def second(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
            return None

    with pytest.raises(TypeError, match="contract class"):
        consumer.on("KitCounted")  # type: ignore[arg-type]


def test_newest_per_entity_keeps_the_highest_version_of_each_entity_in_first_seen_order() -> None:
    company = uuid.uuid4()

    def event(entity: str, version: int) -> EventEnvelope:
        envelope = _envelope(Counted, company_id=company)
        envelope.entity = EntityRef(type="Thing", id=entity, version=version)
        return envelope

    a2, b1, a1, b3, a2_again = event("a", 2), event("b", 1), event("a", 1), event("b", 3), event("a", 2)
    assert newest_per_entity([a2, b1, a1, b3, a2_again]) == [a2_again, b3]


async def test_a_failing_handler_is_retried_through_the_delay_queues_and_applied_once(
    start_consumer: StartConsumer, broker: AbstractRobustConnection
) -> None:
    calls: Counter[uuid.UUID] = Counter()
    consumer = EventConsumer(_service())

    @consumer.on(Flaky)
    async def flaky(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        for envelope in envelopes:
            calls[envelope.id] += 1
        await _apply(session, envelopes)  # rolled back with each failure
        if any(calls[envelope.id] <= 2 for envelope in envelopes):
            raise RuntimeError("transient failure")

    running = await start_consumer(consumer)
    event = _envelope(Flaky)
    await running.publish(event)

    await running.wait_for_effect(event.id)
    assert calls[event.id] == 3
    assert await running.effects(event.id) == 1
    assert await _messages_in(broker, f"{running.queue}.dlq") == 0


async def test_a_poison_message_in_a_batch_ends_alone_in_the_dead_letter_queue_and_the_rest_commit(
    start_consumer: StartConsumer, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    service = _service()
    batch_sizes: list[int] = []

    def consumer() -> EventConsumer:
        built = EventConsumer(service)

        @built.on(Counted, Poisonous)
        async def apply(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
            batch_sizes.append(len(envelopes))
            await _apply(session, envelopes)
            if any(envelope.type == Poisonous.event_type for envelope in envelopes):
                raise RuntimeError("cannot handle this one")

        return built

    # The queue fills while no worker consumes it, so the next worker takes it as one batch.
    declaring = await start_consumer(consumer())
    await declaring.bus.close()
    good = [_envelope(Counted) for _ in range(20)]
    poison = _envelope(Poisonous)
    publisher = EventPublisher(broker, platform.namespace)
    for envelope in (*good[:10], poison, *good[10:]):
        await publisher.publish(envelope)
    lingering = ConsumerLimits(prefetch=256, batch_size=256, batch_linger=0.5, time_limit=5.0)
    running = await start_consumer(consumer(), lingering)

    parked = await _dead_letter(broker, running.queue)
    headers = parked.headers or {}
    assert parked.message_id == str(poison.id)
    assert "cannot handle this one" in str(headers[ERROR_HEADER])
    assert str(headers[ERROR_HEADER]).startswith("failed: ")
    assert headers[ATTEMPT_HEADER] == len(RETRY_DELAYS) + 1
    assert parked.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert batch_sizes[0] == 21  # tried as one batch first
    for event in good:
        assert await running.effects(event.id) == 1
    assert await running.effects(poison.id) == 0
    assert await _messages_in(broker, f"{running.queue}.dlq") == 0  # it alone
    # Not recorded as processed: replaying it from the DLQ once fixed applies it.
    processed = METADATA.tables["processed_events"]
    async with running.database.sessionmaker() as session:
        assert await session.scalar(select(processed.c.event_id).where(processed.c.event_id == poison.id)) is None
    assert _dead_lettered(service, "failed") == 1


async def test_a_hanging_handler_is_cut_off_at_its_time_limit_and_dead_lettered(
    start_consumer: StartConsumer, broker: AbstractRobustConnection
) -> None:
    consumer = EventConsumer(_service())

    @consumer.on(Counted, Poisonous)
    async def apply(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        await _apply(session, envelopes)
        if any(envelope.type == Poisonous.event_type for envelope in envelopes):
            await asyncio.Event().wait()  # never returns

    running = await start_consumer(consumer, ConsumerLimits(batch_linger=0.05, time_limit=0.3))
    hanging, fine = _envelope(Poisonous), _envelope(Counted)
    await running.publish(hanging, fine)

    parked = await _dead_letter(broker, running.queue)
    assert parked.message_id == str(hanging.id)
    assert str((parked.headers or {})[ERROR_HEADER]) == "timed out: timed out after 0.3 s"
    assert await running.effects(fine.id) == 1
    assert await running.effects(hanging.id) == 0
    assert _dead_lettered(consumer.service, "timed out") == 1


async def test_unknown_types_versions_and_bodies_go_straight_to_the_dead_letter_queue_loudly(
    start_consumer: StartConsumer, broker: AbstractRobustConnection, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[EventEnvelope] = []
    consumer = EventConsumer(_service())

    @consumer.on(Known)
    async def known(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        calls.extend(envelopes)

    assert consumer.routing_keys == ["KitKnown.*"]
    running = await start_consumer(consumer)
    newer = _envelope(Known, version=2)
    stranger = _envelope(Retired)
    with caplog.at_level(logging.ERROR, logger="kit.bus"):
        await running.publish(newer)  # reaches the queue through KitKnown.*
        channel = await broker.channel()
        # What a stale binding or a mistaken publish would put in the queue.
        for body, message_id in ((stranger.model_dump_json(by_alias=True).encode(), str(stranger.id)), (b"{", "x")):
            await channel.default_exchange.publish(aio_pika.Message(body, message_id=message_id), running.queue)
        await channel.close()
        parked = {(await _dead_letter(broker, running.queue)).message_id: None for _ in range(3)}

    assert set(parked) == {str(newer.id), str(stranger.id), "x"}
    assert calls == []
    reasons = {getattr(record, "reason", None) for record in caplog.records if record.levelno == logging.ERROR}
    assert reasons == {"unknown version", "unknown type", "undecodable"}
    for reason in ("unknown version", "unknown type", "undecodable"):
        assert _dead_lettered(consumer.service, reason) == 1


async def test_two_workers_on_one_queue_apply_every_event_once(
    start_consumer: StartConsumer, database: Database
) -> None:
    service = _service()
    applied_by: Counter[int] = Counter()

    def worker(number: int) -> EventConsumer:
        consumer = EventConsumer(service)

        @consumer.on(Counted)
        async def counted(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
            applied_by[number] += len(envelopes)
            await _apply(session, envelopes)

        return consumer

    small = ConsumerLimits(prefetch=20, batch_size=20, batch_linger=0.005)
    first = await start_consumer(worker(1), small)
    await start_consumer(worker(2), small)
    events = [_envelope(Counted) for _ in range(300)]
    # Every event published twice: a relay that published a batch again after losing its confirms.
    await first.publish(*events, *events)

    async def all_applied() -> bool:
        return await first.effects() >= len(events)

    await wait_until(all_applied, within=30, what="every event to be applied")
    async with database.sessionmaker() as session:
        counts = Counter((await session.execute(select(EFFECTS.c.event_id))).scalars())
    assert set(counts) == {event.id for event in events}
    assert set(counts.values()) == {1}
    assert applied_by[1] > 0
    assert applied_by[2] > 0


async def test_a_message_delivered_too_often_is_parked_by_the_broker(
    start_consumer: StartConsumer, broker: AbstractRobustConnection
) -> None:
    """A message that crashes its worker comes back each time; the queue's delivery limit ends that."""
    consumer = EventConsumer(_service())

    @consumer.on(Counted)
    async def counted(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        return None

    declaring = await start_consumer(consumer, ConsumerLimits(delivery_limit=2))
    await declaring.bus.close()
    event = _envelope(Counted)
    channel = await broker.channel()
    exchange = await channel.declare_exchange(declaring.bus.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
    await exchange.publish(aio_pika.Message(event.model_dump_json(by_alias=True).encode()), event.routing_key)
    queue = await channel.get_queue(declaring.queue)
    for _ in range(3):  # a worker takes it and dies, three times
        message = await _get(queue)
        await message.nack(requeue=True)
    await channel.close()

    parked = await _dead_letter(broker, declaring.queue)
    assert EventEnvelope.model_validate_json(parked.body).id == event.id
    assert await _messages_in(broker, declaring.queue) == 0


async def _get(queue: aio_pika.abc.AbstractQueue) -> AbstractIncomingMessage:
    async def message() -> AbstractIncomingMessage | None:
        return await queue.get(fail=False)

    return await wait_until(message, what="a message in the queue")


async def test_a_queue_declared_with_other_arguments_is_consumed_as_it_is_with_an_error_logged(
    start_consumer: StartConsumer, broker: AbstractRobustConnection, platform: PlatformSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    consumer = EventConsumer(_service())

    @consumer.on(Counted)
    async def counted(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        await _apply(session, envelopes)

    channel = await broker.channel()
    # The queue as a deployment before delivery limits declared it.
    await channel.declare_queue(
        consumer.queue_name(platform.namespace), durable=True, arguments={"x-queue-type": "quorum"}
    )
    await channel.close()
    with caplog.at_level(logging.ERROR, logger="kit.bus"):
        running = await start_consumer(consumer)
    assert any("Recreate the queue" in record.getMessage() for record in caplog.records)
    event = _envelope(Counted)
    await running.publish(event)
    await running.wait_for_effect(event.id)


async def test_a_queue_the_worker_cannot_set_up_is_reported_and_tried_again_until_it_consumes(
    database: Database, broker: AbstractRobustConnection, platform: PlatformSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    consumer = EventConsumer(_service())

    @consumer.on(Counted)
    async def counted(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        await _apply(session, envelopes)

    queue = consumer.queue_name(platform.namespace)
    channel = await broker.channel()
    # A retry queue left by a deployment with other retry delays: the broker refuses to redeclare it.
    await channel.declare_queue(
        f"{queue}.retry.1", durable=True, arguments={"x-queue-type": "quorum", "x-message-ttl": 123_456}
    )
    bus = RabbitBus(platform.broker_url, platform.namespace, RETRY_DELAYS, TEST_LIMITS)
    await bus.start()
    try:
        with caplog.at_level(logging.ERROR, logger="kit.bus"):
            await consumer.start(bus, database, METADATA, platform.namespace)

            async def reported() -> bool:
                return any("cannot consume" in record.getMessage() for record in caplog.records)

            await wait_until(reported, what="the failure to be logged")
        await channel.queue_delete(f"{queue}.retry.1")
        await _until_ready(bus)
        running = RunningConsumer(queue, bus, database)
        event = _envelope(Counted)
        await running.publish(event)
        await running.wait_for_effect(event.id)
    finally:
        await channel.close()
        await bus.close()
        await delete_service_queues(broker, platform.namespace, consumer.service, len(RETRY_DELAYS))


async def test_a_routing_key_no_handler_wants_any_more_is_unbound_at_the_next_start(
    start_consumer: StartConsumer, broker: AbstractRobustConnection, database: Database
) -> None:
    service = _service()
    before = EventConsumer(service)

    @before.on(Known, Retired)
    async def both(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        await _apply(session, envelopes)

    old = await start_consumer(before)
    await old.bus.close()

    after = EventConsumer(service)

    @after.on(Known)
    async def known(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        await _apply(session, envelopes)

    running = await start_consumer(after)
    retired, marker = _envelope(Retired), _envelope(Known)
    await running.publish(retired, marker)
    await running.wait_for_effect(marker.id)

    # Still bound, KitRetired would have reached the queue and been dead-lettered as an unknown type.
    assert await _messages_in(broker, f"{running.queue}.dlq") == 0
    assert await running.effects(retired.id) == 0
    bindings = METADATA.tables["event_bindings"]

    async def recorded() -> list[str] | None:
        async with database.sessionmaker() as session:
            keys = list(await session.scalars(select(bindings.c.routing_key).where(bindings.c.queue == running.queue)))
        return keys if keys == ["KitKnown.*"] else None

    await wait_until(recorded, what="the stale binding to be forgotten")


async def test_a_failed_move_to_the_retry_queue_returns_the_message_to_its_queue(
    start_consumer: StartConsumer, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    """The retry queue is gone, so moving a failed message there fails: the message is nacked back to its
    queue and redelivered (until its delivery limit parks it), never held unacknowledged nor lost."""
    calls = 0
    consumer = EventConsumer(_service())

    @consumer.on(Flaky)
    async def flaky(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("always")

    running = await start_consumer(consumer, ConsumerLimits(delivery_limit=2))
    channel = await broker.channel()
    await channel.queue_delete(f"{running.queue}.retry.1")
    await channel.close()
    event = _envelope(Flaky)
    await running.publish(event)

    parked = await _dead_letter(broker, running.queue)
    assert parked.message_id == str(event.id)
    assert calls == 3  # the first delivery and the two redeliveries the limit allows
    assert ERROR_HEADER not in (parked.headers or {})  # parked by the broker's delivery limit, untouched


async def test_a_worker_whose_broker_connection_dropped_consumes_again_once_it_is_back(
    database: Database, platform: PlatformSettings, broker: AbstractRobustConnection
) -> None:
    consumer = EventConsumer(_service())

    @consumer.on(Counted)
    async def counted(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        await _apply(session, envelopes)

    address = urlsplit(platform.broker_url)
    with TcpProxy(address.hostname or "127.0.0.1", address.port or 5672) as proxy:
        via_proxy = address._replace(netloc=f"{address.username}:{address.password}@127.0.0.1:{proxy.port}").geturl()
        bus = RabbitBus(via_proxy, platform.namespace, RETRY_DELAYS, TEST_LIMITS)
        await bus.start()
        try:
            await consumer.start(bus, database, METADATA, platform.namespace)
            await _until_ready(bus)
            running = RunningConsumer(consumer.queue_name(platform.namespace), bus, database)
            publisher = EventPublisher(broker, platform.namespace)
            before, during = _envelope(Counted), _envelope(Counted)
            await publisher.publish(before)
            await running.wait_for_effect(before.id)

            proxy.pause()  # the worker's connection is cut; reconnects are refused
            await publisher.publish(during)

            async def waiting_in_the_queue() -> bool:
                return await _messages_in(broker, running.queue) == 1

            # Delivered to nobody: it waits in the queue, and nothing of it was applied.
            await wait_until(waiting_in_the_queue, within=15, what="the event to wait in the queue")
            assert await running.effects(during.id) == 0
            proxy.resume()

            await running.wait_for_effect(during.id)
            assert await running.effects(during.id) == 1
        finally:
            await bus.close()
            await delete_service_queues(broker, platform.namespace, consumer.service, len(RETRY_DELAYS))


async def test_service_queues_are_durable_quorum_queues(
    start_consumer: StartConsumer, broker: AbstractRobustConnection
) -> None:
    consumer = EventConsumer(_service())

    @consumer.on(Counted)
    async def anything(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
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
        arguments = running.bus.queue_arguments(name) if name == running.queue else _retry_arguments(name)
        await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"} | arguments)
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
    platform: PlatformSettings, broker: AbstractRobustConnection, tmp_path: Path
) -> None:
    service = _service()
    bus = RabbitBus(platform.broker_url, platform.namespace, platform.consumer_retry_delays)
    await bus.start()
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'kit.db'}")
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        consumer = EventConsumer(service)

        @consumer.on(Counted)
        async def anything(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
            return None

        await consumer.start(bus, database, METADATA, platform.namespace)
        await _until_ready(bus)
        # Ready means an event published now reaches this service: its last queue is already declared.
        await wait_for_queue(broker, f"{platform.namespace}.{service}.events.dlq", within=0)
    finally:
        await bus.close()
        await database.dispose()
        await delete_service_queues(broker, platform.namespace, service, len(RETRY_DELAYS))
