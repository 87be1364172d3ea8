"""Rules of catalog's tenant read model: apply identity's facts once, the newest version wins."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import CompanyCreated, CompanyUpdated, SubscriptionChanged, TrialStarted
from kit.consumer import newest_per_entity
from kit.db import ReadOnlySession, utcnow
from kit.errors import InvalidInput, ServiceUnavailable
from kit.events import EventEnvelope
from services.catalog.models import Tenant
from services.catalog.tenants.repository import (
    LocalTenantRepository,
    apply_company_states,
    apply_subscription_states,
)

COMPANY_EVENTS: dict[str, type[CompanyCreated | CompanyUpdated]] = {
    CompanyCreated.event_type: CompanyCreated,
    CompanyUpdated.event_type: CompanyUpdated,
}
SUBSCRIPTION_EVENTS: dict[str, type[TrialStarted | SubscriptionChanged]] = {
    TrialStarted.event_type: TrialStarted,
    SubscriptionChanged.event_type: SubscriptionChanged,
}


def company_id_of(envelope: EventEnvelope) -> uuid.UUID:
    if envelope.company_id is None:
        raise ValueError(f"{envelope.type} event {envelope.id} has no companyId")
    return envelope.company_id


def version_of(envelope: EventEnvelope) -> int:
    """The entity's version after the event: what orders a read model's changes, never the producer's clock."""
    if envelope.entity.version is None:
        raise ValueError(f"{envelope.type} event {envelope.id} has no entity version")
    return envelope.entity.version


def newest_per_company(rows: list[dict[str, Any]], version: str) -> list[dict[str, Any]]:
    """One row per company, of the highest version (one upsert cannot write a row twice)."""
    newest: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        kept = newest.get(row["company_id"])
        if kept is None or row[version] >= kept[version]:
            newest[row["company_id"]] = row
    return list(newest.values())


async def record_companies(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """CompanyCreated / CompanyUpdated of a batch: each company's newest, in one statement."""
    now = utcnow()
    rows = []
    for envelope in newest_per_entity(events):
        company = COMPANY_EVENTS[envelope.type].model_validate(envelope.data)
        rows.append(
            {
                "company_id": company_id_of(envelope),
                "name": company.name,
                "slug": company.slug,
                "currency": company.currency.upper(),
                "show_prices_to_guests": company.show_prices_to_guests,
                "company_version": version_of(envelope),
                "updated_at": now,
            }
        )
    await apply_company_states(session, newest_per_company(rows, "company_version"))


async def record_subscriptions(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """TrialStarted / SubscriptionChanged of a batch: each company's newest plan and limit, in one statement."""
    now = utcnow()
    rows = []
    for envelope in newest_per_entity(events):
        subscription = SUBSCRIPTION_EVENTS[envelope.type].model_validate(envelope.data)
        rows.append(
            {
                "company_id": company_id_of(envelope),
                "plan_code": subscription.plan_code,
                "subscription_status": subscription.status,
                "trial_ends_at": subscription.trial_ends_at,
                "max_products": subscription.limits.max_products,
                "subscription_version": version_of(envelope),
                "updated_at": now,
            }
        )
    await apply_subscription_states(session, newest_per_company(rows, "subscription_version"))


# A company's first events reach catalog a moment after signup, each on its own: a request before both the
# company and its plan are known is told to retry, never served as if the plan had no limit.
NOT_YET_KNOWN = "Your company's catalog is still being set up; try again in a moment."


def known(tenant: Tenant | None) -> Tenant:
    if tenant is None or not tenant.company_version or not tenant.subscription_version:
        raise ServiceUnavailable(NOT_YET_KNOWN, headers={"Retry-After": "1"})
    return tenant


async def get_tenant(session: ReadOnlySession, company_id: uuid.UUID) -> Tenant:
    return known(await LocalTenantRepository(session, company_id).one())


def plan_name(tenant: Tenant) -> str:
    """The plan's name as limit messages show it ("Starter"); identity's events carry only its code."""
    return tenant.plan_code.replace("-", " ").title() if tenant.plan_code else "current"


def check_currency(sent: str | None, currency: str) -> None:
    """Prices are always in the company's currency: a client naming another one has made a mistake."""
    if sent is not None and sent != currency:
        message = f"Prices are in the company's currency, {currency}."
        raise InvalidInput(message, errors=[{"field": "currency", "message": message}])
