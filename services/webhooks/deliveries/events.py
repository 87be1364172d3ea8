"""Every event, of every type, becomes a delivery for each enabled endpoint of its company subscribed to it.

The kit hands over only events not processed before and records their ids in this same transaction, and
each (event, endpoint) is inserted at most once, so a redelivered event, or two consumers racing on one
queue, still give exactly one delivery per endpoint. Events about a company deleted here are dropped by
the kit; its `CompanyDeleted` itself goes nowhere, as its endpoints are purged with it.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import CompanyDeleted
from kit.consumer import EventConsumer
from kit.events import EventEnvelope
from services.webhooks.deliveries import service


def register(consumer: EventConsumer) -> None:
    consumer.on_every_event()(record_deliveries)


async def record_deliveries(session: AsyncSession, events: list[EventEnvelope]) -> None:
    await service.record_deliveries(
        session, [envelope for envelope in events if envelope.type != CompanyDeleted.event_type]
    )
