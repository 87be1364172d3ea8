"""Identity's customer events, applied to catalog's customer read model."""

from sqlalchemy.ext.asyncio import AsyncSession

from kit.consumer import EventConsumer
from kit.events import EventEnvelope
from services.catalog.customers import service
from services.catalog.customers.schemas import CustomerFacts, CustomerRemoval
from services.catalog.tenants.events import company_id_of


def register(consumer: EventConsumer) -> None:
    consumer.on("CustomerCreated", "CustomerUpdated")(on_customer_changed)
    consumer.on("CustomerDeleted")(on_customer_deleted)


async def on_customer_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
    facts = CustomerFacts.model_validate(envelope.data)
    await service.record_customer(session, company_id_of(envelope), facts, envelope.occurred_at)


async def on_customer_deleted(session: AsyncSession, envelope: EventEnvelope) -> None:
    removal = CustomerRemoval.model_validate(envelope.data)
    await service.remove_customer(session, company_id_of(envelope), removal.id, cause=envelope)
