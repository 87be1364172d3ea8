"""Rules of orders' tenant read model: apply identity's company and subscription state, newest version wins."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import ServiceUnavailable
from services.orders.models import Tenant
from services.orders.tenants.repository import LocalTenantRepository, upsert_newer_tenants


@dataclass(frozen=True)
class CompanyState:
    """A company as one of identity's events left it, at `version`."""

    company_id: uuid.UUID
    version: int
    name: str
    slug: str


@dataclass(frozen=True)
class SubscriptionState:
    """A company's subscription as one of identity's events left it, at `version`."""

    company_id: uuid.UUID
    version: int
    plan_code: str
    status: str
    trial_ends_at: datetime | None
    max_orders_per_month: int | None


async def record_companies(session: AsyncSession, states: Sequence[CompanyState]) -> None:
    """Store each company's state unless a version as new is stored already (one company at most once)."""
    now = utcnow()
    rows = [
        {
            "company_id": state.company_id,
            "name": state.name,
            "slug": state.slug,
            "company_version": state.version,
            "updated_at": now,
        }
        for state in states
    ]
    await upsert_newer_tenants(session, rows, version="company_version")


async def record_subscriptions(session: AsyncSession, states: Sequence[SubscriptionState]) -> None:
    """Store each company's subscription unless a version as new is stored already (one company at most once)."""
    now = utcnow()
    rows = [
        {
            "company_id": state.company_id,
            "plan_code": state.plan_code,
            "subscription_status": state.status,
            "trial_ends_at": state.trial_ends_at,
            "max_orders_per_month": state.max_orders_per_month,
            "subscription_version": state.version,
            "updated_at": now,
        }
        for state in states
    ]
    await upsert_newer_tenants(session, rows, version="subscription_version")


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
