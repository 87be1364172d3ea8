"""Identity's company and subscription events, applied to catalog's tenant read model."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kit.consumer import EventConsumer
from kit.events import EventEnvelope
from services.catalog.tenants import service
from services.catalog.tenants.schemas import CompanyFacts, SubscriptionFacts


def register(consumer: EventConsumer) -> None:
    consumer.on("CompanyCreated", "CompanyUpdated")(on_company_changed)
    consumer.on("TrialStarted", "SubscriptionChanged")(on_subscription_changed)


async def on_company_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
    facts = CompanyFacts.model_validate(envelope.data)
    await service.record_company(session, company_id_of(envelope), facts, envelope.occurred_at)


async def on_subscription_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
    facts = SubscriptionFacts.model_validate(envelope.data)
    await service.record_subscription(session, company_id_of(envelope), facts, envelope.occurred_at)


def company_id_of(envelope: EventEnvelope) -> uuid.UUID:
    if envelope.company_id is None:
        raise ValueError(f"{envelope.type} event {envelope.id} has no companyId")
    return envelope.company_id
