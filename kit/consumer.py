"""Idempotent event consumers: the handler's effects and the processed-event record commit together."""

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import Bus
from kit.db import Database, commit, upsert, utcnow
from kit.events import Event, EventEnvelope, routing_key
from kit.logging import company_id_var

logger = logging.getLogger(__name__)

EventHandler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]
HandlerT = TypeVar("HandlerT", bound=EventHandler)


class EventConsumer:
    """A service's event handlers, keyed by routing key, fed from its one durable queue."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._handlers: dict[str, EventHandler] = {}

    def on(self, *event_types: type[Event] | str, version: int = 1) -> Callable[[HandlerT], HandlerT]:
        """Register a handler for event types (payload classes, or names when another service owns them).

        `"#"` subscribes to every event.
        """

        def register(handler: HandlerT) -> HandlerT:
            for event_type in event_types:
                if isinstance(event_type, str):
                    key = event_type if event_type == "#" else routing_key(event_type, version)
                else:
                    key = event_type.routing_key()
                self._handlers[key] = handler
            return handler

        return register

    @property
    def routing_keys(self) -> list[str]:
        return list(self._handlers)

    def handler_for(self, envelope: EventEnvelope) -> EventHandler | None:
        return self._handlers.get(envelope.routing_key) or self._handlers.get("#")

    async def start(self, bus: Bus, database: Database, metadata: MetaData, namespace: str) -> None:
        if not self._handlers:
            return

        async def handle(envelope: EventEnvelope) -> None:
            await self.process(database, metadata, envelope)

        await bus.subscribe(f"{namespace}.{self.service}.events", self.routing_keys, handle)

    async def process(self, database: Database, metadata: MetaData, envelope: EventEnvelope) -> bool:
        """Apply the event once. Returns False when it had already been processed (a redelivery)."""
        handler = self.handler_for(envelope)
        if handler is None:
            return False
        company_id_var.set(str(envelope.company_id) if envelope.company_id else None)
        processed = metadata.tables["processed_events"]
        async with database.sessionmaker() as session:
            # Recorded first, with the handler's effects in the same transaction. On PostgreSQL a concurrent
            # delivery of the same event waits here until the first one commits, then records nothing.
            first_time = await session.scalar(
                upsert(session, processed)
                .values(event_id=envelope.id, event_type=envelope.type, processed_at=utcnow())
                .on_conflict_do_nothing(index_elements=["event_id"])
                .returning(processed.c.event_id)
            )
            if first_time is None:
                return False  # applied before: a redelivery
            await handler(session, envelope)
            await commit(session)
        logger.debug("event processed", extra={"type": envelope.type})
        return True


def superseded(applied_at: datetime | None, occurred_at: datetime) -> bool:
    """Whether an event is older than the state a read model already took from a newer one.

    Events can arrive out of order (retries, redeliveries); a late, older fact must not win.
    """
    older = applied_at is not None and occurred_at < applied_at
    if older:
        logger.info("ignored an event older than the state it would overwrite")
    return older
