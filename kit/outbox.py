"""Transactional outbox: events are written with the change that raised them, then relayed.

`emit()` adds the event to the caller's session, so it commits or rolls back with the business
change. The relay publishes unpublished rows in order with publisher confirms and marks them sent;
while the broker is away it keeps retrying, so an outage delays events and never loses them.

The relay wakes when a commit wrote events: on PostgreSQL a statement trigger on the outbox NOTIFYs
(emit issues its INSERT and nothing more) and the relay LISTENs; in embedded mode the session wakes the
in-process relay. It also polls, slowly, as a net. After a wake-up it lingers a few milliseconds, so
the commits around it go out in one batch rather than one relay round each, and under load its rounds
begin at least `round_spacing` apart, so each carries every commit since the last; the busier the relay,
the longer that spacing, up to `max_round_spacing`.
"""

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from sqlalchemy import Insert, MetaData, Select, Table, Text, cast, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import REQUEST_ID_HEADER, Bus, OutgoingMessage
from kit.context import RequestContext
from kit.db import OUTBOX_CHANNEL, Database, after_commit, utcnow
from kit.events import Actor, EntityRef, Event, EventEnvelope

logger = logging.getLogger(__name__)

PUBLISHED_RETENTION = timedelta(days=7)


def _outbox(session: AsyncSession, metadata: MetaData | None = None) -> Table:
    tables = (metadata or session.info["metadata"]).tables
    return tables["outbox"]


@functools.cache
def _insert_into(outbox: Table) -> Insert:
    """The outbox's INSERT, built once: rows go in as parameters (building a statement costs more than running it)."""
    return insert(outbox)


async def emit(
    session: AsyncSession,
    event: Event,
    *,
    company_id: uuid.UUID | None,
    entity: EntityRef,
    context: RequestContext | None,
    actor: Actor | None = None,
) -> EventEnvelope:
    """Record `event` in the outbox within the session's transaction.

    The actor, client IP and request id come from the request context unless `actor` is given
    (signup acts as the user it has just created; background work as SYSTEM).
    """
    envelope = _envelope(event, company_id=company_id, entity=entity, context=context, actor=actor)
    await session.execute(_insert_into(_outbox(session)), _outbox_row(envelope))
    await _wake_relay_after_commit(session)
    return envelope


async def emit_many(
    session: AsyncSession,
    events: Sequence[tuple[Event, EntityRef]],
    *,
    company_id: uuid.UUID | None,
    context: RequestContext | None,
    actor: Actor | None = None,
) -> list[EventEnvelope]:
    """Record many events of one request, in order, with one batched insert (bulk imports raise thousands).

    Same envelopes as `emit` gives one by one: the relay publishes them in the order listed.
    """
    envelopes = [
        _envelope(event, company_id=company_id, entity=entity, context=context, actor=actor) for event, entity in events
    ]
    if envelopes:
        await session.execute(_insert_into(_outbox(session)), [_outbox_row(envelope) for envelope in envelopes])
        await _wake_relay_after_commit(session)
    return envelopes


def _envelope(
    event: Event,
    *,
    company_id: uuid.UUID | None,
    entity: EntityRef,
    context: RequestContext | None,
    actor: Actor | None,
) -> EventEnvelope:
    return EventEnvelope(
        type=event.event_type,
        version=event.event_version,
        company_id=company_id,
        actor=actor or (context.actor if context else Actor(type="SYSTEM")),
        ip_address=context.client_ip if context else None,
        request_id=context.request_id if context else None,
        entity=entity,
        data=event.model_dump(mode="json", by_alias=True),
    )


def _outbox_row(envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "id": envelope.id,
        "company_id": envelope.company_id,
        "routing_key": envelope.routing_key,
        "payload": envelope.model_dump(mode="json", by_alias=True),
        "headers": {REQUEST_ID_HEADER: envelope.request_id} if envelope.request_id else {},
        "created_at": utcnow(),
    }


async def _wake_relay_after_commit(session: AsyncSession) -> None:
    # Embedded mode's relay shares this process; on PostgreSQL the outbox's trigger tells the relay.
    wake = session.info.get("outbox_wake")
    if wake is not None:
        after_commit(session, wake)


def unpublished_batch(table: Table, limit: int) -> Select[tuple[Any, ...]]:
    """The relay's scan: the oldest unpublished rows that no other relay holds (index ix_outbox_unpublished).

    The envelope comes as the JSON text it is stored as: no decoding and encoding again per event.
    """
    return (
        select(table.c.id, table.c.routing_key, cast(table.c.payload, Text).label("body"), table.c.headers)
        .where(table.c.published_at.is_(None))
        .order_by(table.c.created_at, table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


# Under a stream of events, each `round_spacing` of pause before a relay round is earned by this many
# events in the round before (see `OutboxRelay.spacing_after`).
EVENTS_PER_SPACING = 2


class OutboxRelay:
    """Publishes a service's outbox to the bus until stopped."""

    def __init__(
        self,
        database: Database,
        metadata: MetaData,
        bus: Bus,
        *,
        poll_interval: float = 0.25,
        batch_size: int = 500,
        coalesce: float = 0.005,
        round_spacing: float = 0.0,
        max_round_spacing: float | None = None,
    ) -> None:
        self.database = database
        self.table = metadata.tables["outbox"]
        self.bus = bus
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.coalesce = coalesce
        self.round_spacing = round_spacing
        self.max_round_spacing = round_spacing if max_round_spacing is None else max(max_round_spacing, round_spacing)
        self._wake = asyncio.Event()
        self._last_cleanup = utcnow()
        # Relay rounds that published something: how well wake-ups coalesce (tests, benchmarks).
        self.rounds = 0

    async def wake(self) -> None:
        """Called after a commit that wrote events, so embedded mode relays at once."""
        self._wake.set()

    async def run(self) -> None:
        listener = None if self.database.is_sqlite else asyncio.create_task(self._listen())
        try:
            await self._relay_until_cancelled()
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    async def _listen(self) -> None:
        """LISTEN for commits that wrote events, on a connection of its own. Whatever ends it (a dropped
        connection, any error) is logged and it reconnects with backoff: it never leaves the relay on
        polling alone without saying so."""
        dsn = self.database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        delay = 0.5
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(dsn)
                closed = asyncio.Event()
                connection.add_termination_listener(lambda _connection, closed=closed: closed.set())
                await connection.add_listener(OUTBOX_CHANNEL, lambda *_notification: self._wake.set())
                logger.info("outbox relay listening for commits")
                delay = 0.5
                self._wake.set()  # what was committed while nobody listened
                await closed.wait()
                logger.warning("outbox relay lost its listening connection; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning(
                    "outbox relay cannot listen for commits; polling meanwhile, reconnecting",
                    extra={"error": repr(error), "delay": delay},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                if connection is not None:
                    connection.terminate()

    def spacing_after(self, published: int) -> float:
        """How long after a round's start the next may begin: `round_spacing` for every
        `EVENTS_PER_SPACING` events the round carried, at least one and at most `max_round_spacing`.

        A trickle of events (a round or two per spacing) goes out after one `round_spacing`, as it
        arrives; a stream gets longer pauses and bigger rounds, and every round costs the relay, the
        broker and each consumer about as much however many events it carries.
        """
        earned = self.round_spacing * published / EVENTS_PER_SPACING
        return min(self.max_round_spacing, max(self.round_spacing, earned))

    async def _relay_until_cancelled(self) -> None:
        backoff = self.poll_interval
        loop = asyncio.get_running_loop()
        round_started = float("-inf")
        spacing = self.round_spacing
        while True:
            # On Python 3.11 a cancel can be swallowed inside a library (asyncio.wait_for in aiormq, asyncpg),
            # leaving this loop running and shutdown waiting on it forever; the task still counts the request.
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise asyncio.CancelledError
            # Cleared before the batch, not after: a commit that wakes us mid-batch is not forgotten.
            self._wake.clear()
            round_started = loop.time()
            try:
                published = await self.relay_batch()
                backoff = self.poll_interval
                spacing = self.spacing_after(published)
                if published == self.batch_size:
                    continue
                await self._cleanup_if_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("outbox relay could not publish; will retry", extra={"error": repr(error)})
                backoff = min(max(backoff * 2, 0.5), 10.0)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that lands as the
            # wait ends, and the relay (hence the service's shutdown) would then never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(backoff):
                    await self._wake.wait()
            if self._wake.is_set():
                # Commits come in bursts (a request's, concurrent requests'): gather them into one batch.
                pause = max(self.coalesce, round_started + spacing - loop.time())
                if pause > 0:
                    await asyncio.sleep(pause)

    async def relay_batch(self) -> int:
        """Publish up to one batch, oldest first; rows another relay holds are skipped, not waited on."""
        table = self.table
        async with self.database.sessionmaker() as session:
            rows = (await session.execute(unpublished_batch(table, self.batch_size))).all()
            messages = [
                OutgoingMessage(
                    message_id=str(row.id),
                    routing_key=row.routing_key,
                    body=row.body.encode(),
                    headers=dict(row.headers or {}),
                )
                for row in rows
            ]
            # Sent in order on one channel, their confirms awaited together: one at a time, each confirm
            # (the broker has written the message to its queues' logs) made a 10,000-product import's
            # events take minutes to go out.
            outcomes = await self.bus.publish_many(messages)
            published = [row.id for row, outcome in zip(rows, outcomes, strict=True) if outcome is None]
            failed = [(row, outcome) for row, outcome in zip(rows, outcomes, strict=True) if outcome is not None]
            failure = failed[0][1] if failed else None
            # Keep what went out; what did not stays pending for the next batch.
            if published:
                await session.execute(update(table).where(table.c.id.in_(published)).values(published_at=utcnow()))
            if failed:
                await session.execute(
                    update(table)
                    .where(table.c.id.in_([row.id for row, _ in failed]))
                    .values(attempts=table.c.attempts + 1, last_error=repr(failure)[:2000])
                )
            await session.commit()
        if published:
            self.rounds += 1
        if isinstance(failure, BaseException):
            raise failure
        return len(published)

    async def _cleanup_if_due(self) -> None:
        now = utcnow()
        if now - self._last_cleanup < timedelta(hours=1):
            return
        self._last_cleanup = now
        async with self.database.sessionmaker() as session, session.begin():
            await session.execute(delete(self.table).where(self.table.c.published_at < now - PUBLISHED_RETENTION))


def attach_outbox(database: Database, metadata: MetaData, relay: OutboxRelay | None) -> None:
    """Make sessions of `database` know their tables (the outbox's), and wake `relay` after event commits."""
    database.session_info["metadata"] = metadata
    if relay is not None:
        database.session_info["outbox_wake"] = relay.wake
    else:
        database.session_info.pop("outbox_wake", None)
