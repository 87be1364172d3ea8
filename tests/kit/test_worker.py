"""The worker's housekeeping: processed-event records are pruned once past their retention."""

import uuid
from datetime import timedelta
from typing import ClassVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.consumer import EventConsumer
from kit.db import Database, utcnow
from kit.events import Actor, EntityRef, Event, EventEnvelope
from kit.worker import prune_processed_events
from tests.kit.conftest import METADATA

PROCESSED = METADATA.tables["processed_events"]


class Pruned(Event):
    event_type: ClassVar[str] = "KitPruned"


def _envelope() -> EventEnvelope:
    return EventEnvelope(
        type=Pruned.event_type,
        version=1,
        company_id=uuid.uuid4(),
        actor=Actor(type="SYSTEM"),
        entity=EntityRef(type="Thing", id="1", version=1),
        data={},
    )


async def test_processed_event_records_older_than_the_retention_are_pruned(database: Database) -> None:
    consumer = EventConsumer("kitprune")

    @consumer.on(Pruned)
    async def pruned(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        return None

    old, recent = [_envelope() for _ in range(5)], [_envelope() for _ in range(3)]
    await consumer.apply(database, METADATA, [*old, *recent])
    async with database.sessionmaker() as session:
        await session.execute(
            update(PROCESSED)
            .where(PROCESSED.c.event_id.in_([envelope.id for envelope in old]))
            .values(processed_at=utcnow() - timedelta(days=15))
        )
        await session.commit()

    assert await prune_processed_events(database, METADATA, timedelta(days=14)) == 5

    async with database.sessionmaker() as session:
        left = set(await session.scalars(select(PROCESSED.c.event_id)))
    assert left == {envelope.id for envelope in recent}
    # A pruned record's event, should it ever come back, is applied again: retention is days, retries minutes.
    assert [envelope.id for envelope in await consumer.apply(database, METADATA, old[:1])] == [old[0].id]
