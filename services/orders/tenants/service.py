"""Rules of orders' tenant read model: apply identity's facts once, newest wins."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.consumer import superseded
from kit.errors import ServiceUnavailable
from services.orders.models import Tenant
from services.orders.tenants.repository import LocalTenantRepository
from services.orders.tenants.schemas import CompanyFacts, SubscriptionFacts


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
    tenant.max_orders_per_month = facts.limits.max_orders_per_month
    tenant.subscription_updated_from_event_at = occurred_at


# A company's first events reach orders a moment after signup; a request in that moment is told to retry.
NOT_YET_KNOWN = "Your company's order settings are still being set up; try again in a moment."


async def get_tenant(session: AsyncSession, company_id: uuid.UUID) -> Tenant:
    tenant = await LocalTenantRepository(session, company_id).one()
    if tenant is None:
        raise ServiceUnavailable(NOT_YET_KNOWN, headers={"Retry-After": "1"})
    return tenant


# A paid plan takes orders even while a payment is overdue; a canceled one, or none known yet, does not.
PAID_STATUSES = frozenset({"ACTIVE", "PAST_DUE"})


def accepts_orders(tenant: Tenant, now: datetime) -> bool:
    """Whether the company may place new orders: a running trial or a paid plan, not an expired trial."""
    if tenant.subscription_status == "TRIALING":
        return tenant.trial_ends_at is None or now < tenant.trial_ends_at
    return tenant.subscription_status in PAID_STATUSES
