"""Batched, idempotent event consumers: a batch's effects and its processed-event records commit together.

A service registers one handler per event class it consumes (the contract classes in `contracts/`).
The worker hands the consumer batches of envelopes; `EventConsumer.apply` records them all as processed
in one statement, passes each handler the new ones of its types in delivery order, and commits, in one
transaction; the bus acks after that. Events arrive in any order and more than once, so read models keep
the newest state by entity version (`newest_per_entity`, `kit.db.upsert_newer`), never by clock.
"""

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import MetaData, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import UNKNOWN_TYPE, UNKNOWN_VERSION, Bus, Refusal, Subscription
from kit.db import Database, commit, insert_for, utcnow
from kit.events import Event, EventEnvelope
from kit.logging import company_id_var

logger = logging.getLogger(__name__)

EventHandler = Callable[[AsyncSession, list[EventEnvelope]], Awaitable[None]]
HandlerT = TypeVar("HandlerT", bound=EventHandler)


class EventConsumer:
    """A service's event handlers, keyed by event type and version, fed from its one durable queue."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._handlers: dict[tuple[str, int], EventHandler] = {}
        self._every_event: EventHandler | None = None

    def on(self, *event_classes: type[Event]) -> Callable[[HandlerT], HandlerT]:
        """Register a handler for these event classes. A handler receives only new events of its types, as
        a list in delivery order, inside the batch's transaction, and must not commit."""
        for event_class in event_classes:
            if not (isinstance(event_class, type) and issubclass(event_class, Event)):
                raise TypeError(f"{event_class!r} is not an event class; register the contract class of the event")

        def register(handler: HandlerT) -> HandlerT:
            for event_class in event_classes:
                key = (event_class.event_type, event_class.event_version)
                if key in self._handlers:
                    raise ValueError(
                        f"{self.service}: {event_class.routing_key()} already has a handler "
                        f"({_name(self._handlers[key])}); one handler per event type, {_name(handler)} is a second"
                    )
                self._handlers[key] = handler
            return handler

        return register

    def on_every_event(self) -> Callable[[HandlerT], HandlerT]:
        """Register the handler of every event, of any type and version (the audit log)."""

        def register(handler: HandlerT) -> HandlerT:
            if self._every_event is not None:
                raise ValueError(f"{self.service} already has a handler of every event: {_name(self._every_event)}")
            self._every_event = handler
            return handler

        return register

    @property
    def handles_events(self) -> bool:
        return bool(self._handlers) or self._every_event is not None

    @property
    def routing_keys(self) -> list[str]:
        """Every version of each handled type, so an unknown version reaches the consumer and is refused
        loudly instead of silently never arriving."""
        if self._every_event is not None:
            return ["#"]
        return sorted({f"{event_type}.*" for event_type, _version in self._handlers})

    def refuse(self, envelope: EventEnvelope) -> Refusal | None:
        """Why this consumer can never apply `envelope`, or None if it can."""
        if self._every_event is not None or (envelope.type, envelope.version) in self._handlers:
            return None
        versions = sorted(version for event_type, version in self._handlers if event_type == envelope.type)
        if versions:
            known = ", ".join(f"v{version}" for version in versions)
            return Refusal(UNKNOWN_VERSION, f"{self.service} handles {envelope.type} {known}, not v{envelope.version}")
        return Refusal(UNKNOWN_TYPE, f"{self.service} has no handler for {envelope.type}")

    async def apply(
        self, database: Database, metadata: MetaData, envelopes: Sequence[EventEnvelope]
    ) -> list[EventEnvelope]:
        """Apply a batch in one transaction; returns the events that were new (not processed before).

        On PostgreSQL a concurrent batch holding one of these events makes this one wait at the dedupe
        statement until it commits; the event is then not new here.
        """
        first_seen: dict[Any, EventEnvelope] = {}
        for envelope in envelopes:
            first_seen.setdefault(envelope.id, envelope)
        unique = list(first_seen.values())
        if not unique:
            return []
        processed = metadata.tables["processed_events"]
        if len(unique) == 1:
            company_id_var.set(str(unique[0].company_id) if unique[0].company_id else None)
        async with database.sessionmaker() as session:
            session.info.setdefault("metadata", metadata)  # handlers find the service's tables there
            unique = await _without_deleted_companies(session, metadata, unique)
            if not unique:
                return []
            now = utcnow()
            # In id order: two batches recording overlapping events lock them in the same order.
            rows = [
                {"event_id": e.id, "event_type": e.type, "company_id": e.company_id, "processed_at": now}
                for e in sorted(unique, key=lambda envelope: envelope.id)
            ]
            statement = (
                insert_for(session, processed)
                .on_conflict_do_nothing(index_elements=["event_id"])
                .returning(processed.c.event_id)
            )
            recorded = set((await session.execute(statement, rows)).scalars())
            new = [envelope for envelope in unique if envelope.id in recorded]
            for handler, events in self._route(new):
                await handler(session, events)
            await commit(session)
        if len(new) < len(envelopes):
            logger.debug("skipped events already processed", extra={"skipped": len(envelopes) - len(new)})
        return new

    def _route(self, envelopes: Iterable[EventEnvelope]) -> list[tuple[EventHandler, list[EventEnvelope]]]:
        """Each handler with its events, handlers in the order they were registered."""
        routed: dict[EventHandler, list[EventEnvelope]] = {}
        for handler in self._handlers.values():
            routed.setdefault(handler, [])
        if self._every_event is not None:
            routed.setdefault(self._every_event, [])
        for envelope in envelopes:
            own = self._handlers.get((envelope.type, envelope.version))
            if own is not None:
                routed[own].append(envelope)
            if self._every_event is not None and self._every_event is not own:
                routed[self._every_event].append(envelope)
        return [(handler, events) for handler, events in routed.items() if events]

    def queue_name(self, namespace: str) -> str:
        return f"{namespace}.{self.service}.events"

    async def start(self, bus: Bus, database: Database, metadata: MetaData, namespace: str) -> None:
        """Bind the service's queue to what its handlers want, unbind what they no longer want, consume."""
        if not self.handles_events:
            return
        queue = self.queue_name(namespace)
        wanted = self.routing_keys
        bindings = metadata.tables["event_bindings"]
        async with database.sessionmaker() as session:
            recorded = set(await session.scalars(select(bindings.c.routing_key).where(bindings.c.queue == queue)))
            # Recorded before binding: a key bound but never recorded could never be unbound later.
            missing = [{"queue": queue, "routing_key": key} for key in wanted if key not in recorded]
            if missing:
                await session.execute(insert_for(session, bindings).on_conflict_do_nothing(), missing)
            await session.commit()
        stale = sorted(recorded - set(wanted))

        async def forget_stale() -> None:
            async with database.sessionmaker() as session:
                await session.execute(
                    delete(bindings).where(bindings.c.queue == queue, bindings.c.routing_key.in_(stale))
                )
                await session.commit()

        async def apply(envelopes: list[EventEnvelope]) -> None:
            await self.apply(database, metadata, envelopes)

        await bus.consume(
            Subscription(
                queue,
                wanted,
                apply,
                refuse=self.refuse,
                service=self.service,
                stale_routing_keys=stale,
                on_bound=forget_stale if stale else None,
            )
        )


async def _without_deleted_companies(
    session: AsyncSession, metadata: MetaData, envelopes: list[EventEnvelope]
) -> list[EventEnvelope]:
    """Drop events about companies deleted here: arriving late, they must not bring their rows back."""
    companies = {envelope.company_id for envelope in envelopes if envelope.company_id is not None}
    if not companies:
        return envelopes
    deleted = metadata.tables["deleted_companies"]
    gone = set(await session.scalars(select(deleted.c.id).where(deleted.c.id.in_(companies))))
    if not gone:
        return envelopes
    kept = [envelope for envelope in envelopes if envelope.company_id not in gone]
    logger.info("dropped events about deleted companies", extra={"dropped": len(envelopes) - len(kept)})
    return kept


def newest_per_entity(events: Iterable[EventEnvelope]) -> list[EventEnvelope]:
    """For each entity (company, type, id) the event with the highest entity version; of equal versions
    the later one. In the order each entity first appears."""
    newest: dict[tuple[Any, str, str], EventEnvelope] = {}
    for envelope in events:
        key = (envelope.company_id, envelope.entity.type, envelope.entity.id)
        kept = newest.get(key)
        if kept is None or (envelope.entity.version or 0) >= (kept.entity.version or 0):
            newest[key] = envelope
    return list(newest.values())


def _name(handler: EventHandler) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', repr(handler))}"
