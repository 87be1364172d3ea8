"""The events audit handles: all of them, each becoming one entry in its company's log."""

from sqlalchemy.ext.asyncio import AsyncSession

from kit.consumer import EventConsumer
from kit.events import EventEnvelope
from services.audit.audit_log import service

consumer = EventConsumer("audit")


@consumer.on("#")
async def record_event(session: AsyncSession, envelope: EventEnvelope) -> None:
    # The kit records the event id in the same transaction, so a redelivery adds nothing.
    await service.record(session, envelope)
