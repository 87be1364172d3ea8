"""Rules of orders' tenant read model: apply identity's company, subscription and billing profile state, newest
version wins."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import BillingProfileChanged
from kit.db import ReadOnlySession, utcnow
from kit.errors import ServiceUnavailable
from kit.events import EventEnvelope
from services.orders.models import Tenant
from services.orders.tenants.repository import LocalTenantRepository, month_count, upsert_newer_tenants


def company_id_of(envelope: EventEnvelope) -> uuid.UUID:
    """The company an event of identity's or catalog's is about; every read model row belongs to one."""
    if envelope.company_id is None:
        raise ValueError(f"{envelope.type} event {envelope.id} has no companyId")
    return envelope.company_id


def version_of(envelope: EventEnvelope) -> int:
    """The entity's version after the event: what orders a read model's changes, never the producer's clock."""
    # Without a version nothing says whether it is newer than what is stored: refused, so it is dead-lettered.
    if envelope.entity.version is None:
        raise ValueError(f"{envelope.type} event {envelope.id} carries no entity version")
    return envelope.entity.version


def read_model_row(envelope: EventEnvelope, now: datetime) -> dict[str, Any]:
    """What every read model row takes from the event that last set it: its company and entity version."""
    return {"company_id": company_id_of(envelope), "version": version_of(envelope), "updated_at": now}


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


@dataclass(frozen=True)
class BillingProfileState:
    """A company's billing profile as one of identity's events left it, at `version`: its fields as
    `billing_profile_fields` keeps them."""

    company_id: uuid.UUID
    version: int
    fields: dict[str, Any]


def billing_profile_fields(profile: BillingProfileChanged) -> dict[str, Any]:
    """The profile as the tenant row keeps it: the event's fields (legalName, email, addressLine1, addressLine2,
    city, region, postalCode, country, taxId), without its id and the names of what changed."""
    return profile.model_dump(mode="json", by_alias=True, exclude={"id", "changes"})


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


async def record_billing_profiles(session: AsyncSession, states: Sequence[BillingProfileState]) -> None:
    """Store each company's billing profile unless a version as new is stored already (one company at most once).

    Invoices issued before keep the seller they printed: their content is stored with them."""
    now = utcnow()
    rows = [
        {
            "company_id": state.company_id,
            "billing_profile": state.fields,
            "billing_profile_version": state.version,
            "updated_at": now,
        }
        for state in states
    ]
    await upsert_newer_tenants(session, rows, version="billing_profile_version")


# A company's first events reach orders a moment after signup, each on its own: a request before both the
# company and its plan are known is told to retry, never refused as if the trial had ended.
NOT_YET_KNOWN = "Your company's order settings are still being set up; try again in a moment."


def known(tenant: Tenant | None) -> Tenant:
    if tenant is None or not tenant.company_version or not tenant.subscription_version:
        raise ServiceUnavailable(NOT_YET_KNOWN, headers={"Retry-After": "1"})
    return tenant


async def get_tenant(session: AsyncSession, company_id: uuid.UUID) -> Tenant:
    return known(await LocalTenantRepository(session, company_id).one())


# A paid plan takes orders even while a payment is overdue; a canceled one, or none known yet, does not.
PAID_STATUSES = frozenset({"ACTIVE", "PAST_DUE"})


def accepts_orders(tenant: Tenant, now: datetime) -> bool:
    """Whether the company may place new orders: a running trial or a paid plan, not an expired trial."""
    if tenant.subscription_status == "TRIALING":
        return tenant.trial_ends_at is None or now < tenant.trial_ends_at
    return tenant.subscription_status in PAID_STATUSES


async def orders_this_month(session: ReadOnlySession, company_id: uuid.UUID, now: datetime) -> int:
    """Orders placed this calendar month (UTC): the counter's, unless it still counts an earlier month."""
    counted = await month_count(session, company_id)
    if counted is None:
        return 0
    month, orders = counted
    return orders if month == first_of_month(now) else 0


def first_of_month(now: datetime) -> date:
    """The first day of `now`'s calendar month in UTC: what `order_counters.month` holds."""
    return now.astimezone(UTC).date().replace(day=1)
