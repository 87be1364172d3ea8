"""A broker outage delays events and never loses them: the relay keeps them pending, then sends them in order."""

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import select

from kit.bus import RabbitBus
from kit.db import Database, commit
from kit.events import EntityRef, Event, EventEnvelope
from kit.outbox import OutboxRelay, attach_outbox, emit
from kit.settings import PlatformSettings
from tests.kit.conftest import METADATA, OUTBOX
from tests.support.broker import QueueProbe, probe
from tests.support.tcp_proxy import TcpProxy


class ParcelScanned(Event):
    event_type: ClassVar[str] = "KitParcelScanned"

    sequence: int


@pytest.fixture
def proxy(platform: PlatformSettings) -> Iterator[TcpProxy]:
    broker = urlsplit(platform.broker_url)
    with TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672) as proxy:
        yield proxy


def _via(platform: PlatformSettings, proxy: TcpProxy) -> str:
    broker = urlsplit(platform.broker_url)
    return broker._replace(netloc=f"{broker.username}:{broker.password}@127.0.0.1:{proxy.port}").geturl()


async def _emit(database: Database, sequence: int) -> EventEnvelope:
    async with database.sessionmaker() as session:
        envelope = await emit(
            session,
            ParcelScanned(sequence=sequence),
            company_id=uuid.uuid4(),
            entity=EntityRef(type="Parcel", id=str(sequence)),
            context=None,
        )
        await commit(session)
    return envelope


async def _eventually(check: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail("condition never became true")
        await asyncio.sleep(0.05)


async def _outbox_rows(database: Database) -> list[tuple[uuid.UUID, bool, int]]:
    async with database.sessionmaker() as session:
        rows = await session.execute(
            select(OUTBOX.c.id, OUTBOX.c.published_at, OUTBOX.c.attempts).order_by(OUTBOX.c.created_at, OUTBOX.c.id)
        )
        return [(row.id, row.published_at is not None, row.attempts) for row in rows]


async def _received(watcher: QueueProbe, count: int) -> list[uuid.UUID]:
    ids = [EventEnvelope.model_validate_json((await watcher.get(within=30)).body).id for _ in range(count)]
    assert await watcher.nothing_more(0.5), "an event was published twice"
    return ids


@contextlib.asynccontextmanager
async def _running(relay: OutboxRelay) -> AsyncIterator[None]:
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_events_wait_out_a_broker_that_was_never_reachable(
    database: Database, proxy: TcpProxy, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    proxy.pause()
    bus = RabbitBus(_via(platform, proxy), platform.namespace, platform.consumer_retry_delays)
    await bus.start()
    relay = OutboxRelay(database, METADATA, bus, poll_interval=0.05)
    attach_outbox(database, METADATA, relay)
    try:
        async with probe(broker, platform.namespace, [ParcelScanned.routing_key()]) as watcher, _running(relay):
            sent = [await _emit(database, n) for n in range(3)]

            async def first_attempt_failed() -> bool:
                return (await _outbox_rows(database))[0][2] >= 1

            await _eventually(first_attempt_failed)
            rows = await _outbox_rows(database)
            assert [published for _, published, _ in rows] == [False, False, False]
            assert await watcher.nothing_more(0.1)

            proxy.resume()

            assert await _received(watcher, 3) == [event.id for event in sent]
        assert all(published for _, published, _ in await _outbox_rows(database))
    finally:
        await bus.close()


async def test_events_emitted_while_the_broker_connection_is_down_follow_once_it_is_back(
    database: Database, proxy: TcpProxy, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    bus = RabbitBus(_via(platform, proxy), platform.namespace, platform.consumer_retry_delays)
    await bus.start()
    relay = OutboxRelay(database, METADATA, bus, poll_interval=0.05)
    attach_outbox(database, METADATA, relay)
    try:
        async with probe(broker, platform.namespace, [ParcelScanned.routing_key()]) as watcher, _running(relay):
            before = await _emit(database, 0)
            assert await _received(watcher, 1) == [before.id]

            proxy.pause()  # the live connection is cut, reconnects are refused
            during = [await _emit(database, n) for n in range(1, 5)]

            async def relay_is_failing() -> bool:
                rows = await _outbox_rows(database)
                return rows[1][2] >= 2

            await _eventually(relay_is_failing)
            assert [published for _, published, _ in await _outbox_rows(database)] == [True] + [False] * 4
            with pytest.raises(ConnectionError):
                await bus.ping()

            proxy.resume()

            assert await _received(watcher, 4) == [event.id for event in during]
            await bus.ping()
        assert all(published for _, published, _ in await _outbox_rows(database))
    finally:
        await bus.close()
