"""Rules of catalog's tenant read model: apply identity's facts once, newest wins."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.consumer import superseded
from kit.repository import found
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


async def get_tenant(session: AsyncSession, company_id: uuid.UUID) -> Tenant:
    return found(await LocalTenantRepository(session, company_id).one(), "Company")
