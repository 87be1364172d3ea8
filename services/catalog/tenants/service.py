"""Rules of catalog's tenant read model: apply identity's facts once, newest wins."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.consumer import superseded
from kit.errors import InvalidInput, ServiceUnavailable
from services.catalog.models import Tenant
from services.catalog.tenants.repository import LocalTenantRepository
from services.catalog.tenants.schemas import CompanyFacts, SubscriptionFacts


async def record_company(
    session: AsyncSession, company_id: uuid.UUID, facts: CompanyFacts, occurred_at: datetime
) -> None:
    tenant = await LocalTenantRepository(session, company_id).lock_or_create()
    if superseded(tenant.company_updated_from_event_at, occurred_at):
        return
    tenant.name = facts.name
    tenant.slug = facts.slug
    tenant.currency = facts.currency
    tenant.show_prices_to_guests = facts.show_prices_to_guests
    tenant.company_updated_from_event_at = occurred_at


async def record_subscription(
    session: AsyncSession, company_id: uuid.UUID, facts: SubscriptionFacts, occurred_at: datetime
) -> None:
    tenant = await LocalTenantRepository(session, company_id).lock_or_create()
    if superseded(tenant.subscription_updated_from_event_at, occurred_at):
        return
    tenant.plan_code = facts.plan_code
    tenant.subscription_status = facts.status
    tenant.trial_ends_at = facts.trial_ends_at
    tenant.max_products = facts.limits.max_products
    tenant.subscription_updated_from_event_at = occurred_at


# A company's first events reach catalog a moment after signup; a request in that moment is told to retry.
NOT_YET_KNOWN = "Your company's catalog is still being set up; try again in a moment."


def known(tenant: Tenant | None) -> Tenant:
    if tenant is None:
        raise ServiceUnavailable(NOT_YET_KNOWN, headers={"Retry-After": "1"})
    return tenant


async def get_tenant(session: AsyncSession, company_id: uuid.UUID) -> Tenant:
    return known(await LocalTenantRepository(session, company_id).one())


async def lock_tenant(session: AsyncSession, company_id: uuid.UUID) -> Tenant:
    """The company's tenant row, locked until commit.

    Every change to the company's products takes it first: two requests cannot both slip under
    maxProducts, nor both take one SKU.
    """
    return known(await LocalTenantRepository(session, company_id).lock())


def plan_name(tenant: Tenant) -> str:
    """The plan's name as limit messages show it ("Starter"); identity's events carry only its code."""
    return tenant.plan_code.replace("-", " ").title() if tenant.plan_code else "current"


def check_currency(sent: str | None, tenant: Tenant) -> None:
    """Prices are always in the company's currency: a client naming another one has made a mistake."""
    if sent is not None and sent != tenant.currency:
        message = f"Prices are in the company's currency, {tenant.currency}."
        raise InvalidInput(message, errors=[{"field": "currency", "message": message}])
