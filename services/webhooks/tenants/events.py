"""Identity's company events, applied to webhooks' tenant read model; and a company's deletion, which
purges everything webhooks holds of it."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import CompanyCreated, CompanyDeleted, CompanyUpdated
from kit import purge
from kit.consumer import EventConsumer, newest_per_entity
from kit.events import EventEnvelope
from services.webhooks.tenants import service
from services.webhooks.tenants.service import CompanyState

COMPANY_EVENTS: dict[str, type[CompanyCreated | CompanyUpdated]] = {
    event.event_type: event for event in (CompanyCreated, CompanyUpdated)
}


def register(consumer: EventConsumer) -> None:
    consumer.on(*COMPANY_EVENTS.values())(on_company_changed)
    consumer.on(CompanyDeleted)(purge.schedule_purge)


async def on_company_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    states = []
    for envelope in newest_per_entity(events):
        company = COMPANY_EVENTS[envelope.type].model_validate(envelope.data)
        states.append(CompanyState(_company_id(envelope), _version(envelope), company.name, company.slug))
    await service.record_companies(session, states)


def _company_id(envelope: EventEnvelope) -> uuid.UUID:
    if envelope.company_id is None:
        raise ValueError(f"{envelope.type} event {envelope.id} has no companyId")
    return envelope.company_id


def _version(envelope: EventEnvelope) -> int:
    # Without a version nothing says whether it is newer than what is stored: refused, so it is dead-lettered.
    if envelope.entity.version is None:
        raise ValueError(f"{envelope.type} event {envelope.id} carries no entity version")
    return envelope.entity.version
