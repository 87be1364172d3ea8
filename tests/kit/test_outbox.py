"""The transactional outbox: events leave only with their transaction, once, persistent, in order."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Collection
from typing import Any, ClassVar

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import func, select, text
from sqlalchemy.event import listen

from kit.bus import REQUEST_ID_HEADER, InProcessBus, RabbitBus
from kit.context import Principal, RequestContext
from kit.db import Database, commit
from kit.events import Actor, EntityRef, Event, EventEnvelope
from kit.outbox import OutboxRelay, attach_outbox, emit, emit_many
from kit.settings import PlatformSettings
from tests.kit.conftest import METADATA, OUTBOX
from tests.support.broker import probe
from tests.support.events import wait_until


class WidgetShipped(Event):
    event_type: ClassVar[str] = "KitWidgetShipped"

    widget_id: uuid.UUID
    quantity: int


def _context(principal: Principal | None = None) -> RequestContext:
    return RequestContext(
        company_id=uuid.uuid4(),
        principal=principal or Principal(type="user", id=uuid.uuid4(), role="OWNER"),
        client_ip="192.0.2.10",
        request_id="req-" + uuid.uuid4().hex,
    )


async def _emit(database: Database, context: RequestContext, *, quantity: int = 1) -> EventEnvelope:
    async with database.sessionmaker() as session:
        envelope = await emit(
            session,
            WidgetShipped(widget_id=uuid.uuid4(), quantity=quantity),
            company_id=context.company_id,
            entity=EntityRef(type="Widget", id="w-1"),
            context=context,
        )
        await commit(session)
    return envelope


@pytest.fixture
async def bus(platform: PlatformSettings) -> AsyncIterator[RabbitBus]:
    bus = RabbitBus(platform.broker_url, platform.namespace, platform.consumer_retry_delays)
    await bus.start()
    yield bus
    await bus.close()


async def _pending(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).where(OUTBOX.c.published_at.is_(None))) or 0)


async def test_events_of_a_rolled_back_transaction_are_never_published(
    database: Database, bus: RabbitBus, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    relay = OutboxRelay(database, METADATA, bus)
    attach_outbox(database, METADATA, relay)
    async with probe(broker, platform.namespace, [WidgetShipped.routing_key()]) as watcher:
        async with database.sessionmaker() as session:
            await emit(
                session, WidgetShipped(widget_id=uuid.uuid4(), quantity=1), company_id=uuid.uuid4(),
                entity=EntityRef(type="Widget", id="w-1"), context=_context(),
            )  # fmt: skip
            await session.rollback()

        assert await relay.relay_batch() == 0
        assert await watcher.nothing_more(0.3)
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(OUTBOX)) == 0


async def test_a_committed_event_is_published_once_persistent_with_its_ids(
    database: Database, bus: RabbitBus, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    relay = OutboxRelay(database, METADATA, bus)
    attach_outbox(database, METADATA, relay)
    context = _context()
    async with probe(broker, platform.namespace, [WidgetShipped.routing_key()]) as watcher:
        envelope = await _emit(database, context, quantity=3)

        assert await relay.relay_batch() == 1
        message = await watcher.get()
        assert await relay.relay_batch() == 0
        assert await watcher.nothing_more(0.3)

    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.message_id == str(envelope.id)
    assert message.routing_key == "KitWidgetShipped.v1"
    assert message.content_type == "application/json"
    assert (message.headers or {})[REQUEST_ID_HEADER] == context.request_id
    received = EventEnvelope.model_validate_json(message.body)
    assert received == envelope
    assert received.company_id == context.company_id
    assert received.actor == Actor(type="USER", id=context.principal.id)
    assert received.ip_address == "192.0.2.10"
    assert received.data == {"widgetId": str(envelope.data["widgetId"]), "quantity": 3}
    async with database.sessionmaker() as session:
        row = (await session.execute(select(OUTBOX).where(OUTBOX.c.id == envelope.id))).one()
    assert row.published_at is not None
    assert row.attempts == 0
    assert row.company_id == context.company_id  # what a company purge deletes by


async def test_an_api_key_acts_as_system_and_names_the_key(database: Database) -> None:
    attach_outbox(database, METADATA, None)
    key_id = uuid.uuid4()
    envelope = await _emit(database, _context(Principal(type="api_key", id=key_id, scopes=["catalog:write"])))

    assert envelope.actor == Actor(type="SYSTEM", api_key_id=key_id)


async def test_the_running_relay_publishes_committed_events_promptly_and_in_order(
    database: Database, bus: RabbitBus, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    # A long poll interval: only the after-commit wake-up can make this prompt.
    relay = OutboxRelay(database, METADATA, bus, poll_interval=30)
    attach_outbox(database, METADATA, relay)
    scans = _scans(database)
    async with probe(broker, platform.namespace, [WidgetShipped.routing_key()]) as watcher:
        task = asyncio.create_task(relay.run())
        try:
            await _until_idle(scans)
            sent = [await _emit(database, _context(), quantity=n) for n in range(5)]
            received = [EventEnvelope.model_validate_json((await watcher.get(within=5)).body) for _ in sent]
            # Rows are marked once the whole batch is out; give the relay that moment before stopping it.
            for _ in range(100):
                if await _pending(database) == 0:
                    break
                await asyncio.sleep(0.02)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    assert [event.id for event in received] == [event.id for event in sent]
    assert await _pending(database) == 0


async def _listening_backends(database: Database) -> list[int]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'")
        )
        return [row.pid for row in rows]


async def _until_listening(database: Database, besides: Collection[int] = ()) -> None:
    """Wait until the relay listens, on a connection other than the `besides` ones."""

    async def listening() -> bool:
        return bool(set(await _listening_backends(database)) - set(besides))

    await wait_until(listening, what="the relay to listen")


def _scans(database: Database) -> list[str]:
    """The relay's scans of the outbox on `database` from now on, one entry each."""
    scans: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "SKIP LOCKED" in statement:
            scans.append(statement)

    listen(database.engine.sync_engine, "before_cursor_execute", record)
    return scans


async def _until_idle(scans: list[str]) -> None:
    """Wait until a starting relay has scanned twice: once as it starts, once for the wake-up its listener
    gives once it listens. After that only a commit (or its long poll interval) makes it scan again."""

    async def scanned_twice() -> bool:
        return len(scans) >= 2

    await wait_until(scanned_twice, what="the relay's scans at start")


async def test_a_relay_in_another_process_is_woken_by_the_commit_that_wrote_events(
    database: Database,
    bus: RabbitBus,
    broker: AbstractRobustConnection,
    platform: PlatformSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The relay of full mode shares no memory with the API that commits: PostgreSQL tells it (NOTIFY, from
    the outbox's trigger), also after its listening connection was cut, which it says."""
    relay_database = Database(database.url)
    relay = OutboxRelay(relay_database, METADATA, bus, poll_interval=60)  # only a wake-up can be prompt
    attach_outbox(database, METADATA, None)  # the writer has no relay of its own to wake
    async with probe(broker, platform.namespace, [WidgetShipped.routing_key()]) as watcher:
        task = asyncio.create_task(relay.run())
        try:
            await _until_listening(database)
            first = await _emit(database, _context())
            assert EventEnvelope.model_validate_json((await watcher.get(within=5)).body).id == first.id

            cut = await _listening_backends(database)
            async with database.engine.connect() as connection:
                for pid in cut:
                    await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await _until_listening(database, besides=cut)
            second = await _emit(database, _context())
            assert EventEnvelope.model_validate_json((await watcher.get(within=5)).body).id == second.id
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await relay_database.dispose()
    lost = [record for record in caplog.records if "lost its listening connection" in record.getMessage()]
    assert [record.levelno for record in lost] == [logging.WARNING]


async def test_the_relay_gathers_commits_close_together_into_one_batch(
    database: Database, bus: RabbitBus, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    """Each commit wakes the relay; it lingers a moment first, so a burst of commits goes out in one round."""
    relay_database = Database(database.url)
    relay = OutboxRelay(relay_database, METADATA, bus, poll_interval=60, coalesce=0.3)
    attach_outbox(database, METADATA, None)
    scans = _scans(relay_database)
    async with probe(broker, platform.namespace, [WidgetShipped.routing_key()]) as watcher:
        task = asyncio.create_task(relay.run())
        try:
            await _until_idle(scans)  # the wake-up of its start is behind it
            rounds = relay.rounds
            sent = [await _emit(database, _context(), quantity=n) for n in range(20)]
            received = [EventEnvelope.model_validate_json((await watcher.get(within=5)).body) for _ in sent]
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await relay_database.dispose()

    assert [event.id for event in received] == [event.id for event in sent]
    assert relay.rounds - rounds <= 2  # twenty commits, one wake-up each


async def test_under_load_relay_rounds_are_spaced_and_an_idle_relay_publishes_at_once(
    database: Database, bus: RabbitBus, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    """A commit that finds the relay idle goes out at once; commits right after it wait for the next round,
    `round_spacing` after that one began, and go out together."""
    spacing = 1.0
    relay_database = Database(database.url)
    relay = OutboxRelay(relay_database, METADATA, bus, poll_interval=60, coalesce=0, round_spacing=spacing)
    attach_outbox(database, METADATA, None)
    scans = _scans(relay_database)
    async with probe(broker, platform.namespace, [WidgetShipped.routing_key()]) as watcher:
        task = asyncio.create_task(relay.run())
        try:
            await _until_idle(scans)
            await asyncio.sleep(spacing)  # idle for longer than the spacing
            first = await _emit(database, _context())
            assert EventEnvelope.model_validate_json((await watcher.get(within=spacing / 2)).body).id == first.id
            burst = [await _emit(database, _context(), quantity=n) for n in range(5)]
            received = [EventEnvelope.model_validate_json((await watcher.get(within=5)).body) for _ in burst]
            # A round marks what it published with one time.
            marked = await wait_until(lambda: _published_at(database, [first, *burst]), what="all six marked")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await relay_database.dispose()

    assert [event.id for event in received] == [event.id for event in burst]
    # The first alone, then the five together.
    assert marked[first.id] not in {marked[event.id] for event in burst}
    assert len({marked[event.id] for event in burst}) == 1


async def test_the_pause_between_relay_rounds_grows_with_the_stream_up_to_its_max(database: Database) -> None:
    bus = InProcessBus([0.01])
    relay = OutboxRelay(database, METADATA, bus, round_spacing=0.05, max_round_spacing=0.2)
    # One round_spacing for every two events the round carried: a trickle keeps the least spacing.
    assert [relay.spacing_after(published) for published in (0, 1, 2, 3, 6, 8, 500)] == pytest.approx(
        [0.05, 0.05, 0.05, 0.075, 0.15, 0.2, 0.2]
    )
    fixed = OutboxRelay(database, METADATA, bus, round_spacing=0.05)
    assert fixed.spacing_after(500) == 0.05  # without a max, the spacing never grows


async def test_after_a_big_round_the_next_waits_longer(
    database: Database, bus: RabbitBus, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    """Ten events in one round earn five round_spacings of pause: an event committed right after them goes
    out that much later, where a round of one or two would have let it go after one round_spacing."""
    spacing = 0.2
    relay_database = Database(database.url)
    relay = OutboxRelay(
        relay_database, METADATA, bus, poll_interval=60, coalesce=0, round_spacing=spacing, max_round_spacing=5.0
    )
    attach_outbox(database, METADATA, None)
    scans = _scans(relay_database)
    context = _context()
    async with probe(broker, platform.namespace, [WidgetShipped.routing_key()]) as watcher:
        task = asyncio.create_task(relay.run())
        try:
            await _until_idle(scans)
            async with database.sessionmaker() as session:
                events = [
                    (WidgetShipped(widget_id=uuid.uuid4(), quantity=n), EntityRef(type="Widget", id="w-1"))
                    for n in range(10)
                ]
                batch = await emit_many(session, events, company_id=context.company_id, context=context)
                await commit(session)
            for _ in batch:
                await watcher.get(within=5)
            late = await _emit(database, context)
            assert EventEnvelope.model_validate_json((await watcher.get(within=5)).body).id == late.id
            marked = await wait_until(lambda: _published_at(database, [*batch, late]), what="all eleven marked")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await relay_database.dispose()

    assert len({marked[event.id] for event in batch}) == 1  # the ten in one round
    waited = (marked[late.id] - marked[batch[0].id]).total_seconds()
    assert waited >= 4 * spacing, f"the round after ten events began {waited:.2f} s after theirs"


async def _published_at(database: Database, events: list[EventEnvelope]) -> dict[uuid.UUID, Any] | None:
    """When each event was marked published, once all of them are."""
    async with database.sessionmaker() as session:
        rows = await session.execute(
            select(OUTBOX.c.id, OUTBOX.c.published_at).where(OUTBOX.c.id.in_([event.id for event in events]))
        )
        marked = {row.id: row.published_at for row in rows}
    return marked if len(marked) == len(events) and None not in marked.values() else None
