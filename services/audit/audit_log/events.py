"""The events audit handles: all of them, each becoming one entry in its company's log; and a company's
deletion, which purges its log."""

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import CompanyDeleted
from kit import purge
from kit.consumer import EventConsumer
from kit.events import EventEnvelope
from services.audit.audit_log import service

consumer = EventConsumer("audit")
consumer.on(CompanyDeleted)(purge.schedule_purge)


@consumer.on_every_event()
async def record_events(session: AsyncSession, events: list[EventEnvelope]) -> None:
    # The kit hands over only events not processed before and records their ids in this transaction,
    # so a redelivery adds nothing.
    await service.record(session, events)
