"""Identity's company and subscription events built from the contract classes, as identity publishes them.

For consumer tests that need events in an order no producer would send them (late, duplicated, with
chosen versions): the payload is the contract class's own JSON, so it cannot drift from the definition.
"""

import uuid
from datetime import datetime, timedelta

from contracts.identity import (
    CompanyCreated,
    CompanyDeleted,
    CompanyUpdated,
    PlanLimits,
    SubscriptionChanged,
    TrialStarted,
)
from kit.db import utcnow
from kit.events import Actor, EntityRef, Event, EventEnvelope

STARTER_LIMITS = PlanLimits(max_products=100, max_team_members=3, max_customers=50, max_orders_per_month=200)
OWNER_ID = uuid.UUID("0190a0a0-0000-7000-8000-0000000000aa")
OWNER = Actor(type="USER", id=OWNER_ID)


def envelope(
    event: Event, company_id: uuid.UUID, entity: EntityRef, *, occurred_at: datetime | None = None
) -> EventEnvelope:
    """`event` in the envelope a producer's relay publishes."""
    return EventEnvelope(
        type=event.event_type,
        version=event.event_version,
        occurred_at=occurred_at or utcnow(),
        company_id=company_id,
        actor=OWNER,
        ip_address="203.0.113.7",
        request_id=uuid.uuid4().hex,
        entity=entity,
        data=event.model_dump(mode="json", by_alias=True),
    )


def company_entity(company_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type="Company", id=str(company_id), version=version)


def subscription_id(company_id: uuid.UUID) -> uuid.UUID:
    """The company's one subscription: the same id in every event about it."""
    return uuid.uuid5(company_id, "subscription")


def company_created(
    company_id: uuid.UUID, *, name: str, slug: str, version: int = 1, occurred_at: datetime | None = None
) -> EventEnvelope:
    event = CompanyCreated(id=company_id, name=name, slug=slug, currency="USD", show_prices_to_guests=False)
    return envelope(event, company_id, company_entity(company_id, version), occurred_at=occurred_at)


def company_updated(
    company_id: uuid.UUID,
    *,
    name: str,
    slug: str,
    version: int,
    previous_slug: str | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    previous_slug = previous_slug or slug
    event = CompanyUpdated(
        id=company_id,
        name=name,
        slug=slug,
        previous_slug=previous_slug,
        currency="USD",
        show_prices_to_guests=False,
        changes=["name", "slug"] if slug != previous_slug else ["name"],
    )
    return envelope(event, company_id, company_entity(company_id, version), occurred_at=occurred_at)


def company_deleted(company_id: uuid.UUID, *, name: str, slug: str, version: int) -> EventEnvelope:
    event = CompanyDeleted(id=company_id, name=name, slug=slug, deleted_at=utcnow(), deleted_by=OWNER_ID)
    return envelope(event, company_id, company_entity(company_id, version))


def subscription_entity(company_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type="Subscription", id=str(subscription_id(company_id)), version=version)


def trial_started(
    company_id: uuid.UUID,
    *,
    version: int = 1,
    trial_ends_at: datetime | None = None,
    limits: PlanLimits = STARTER_LIMITS,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    event = TrialStarted(
        id=subscription_id(company_id),
        plan_code="starter",
        status="TRIALING",
        trial_ends_at=trial_ends_at or utcnow() + timedelta(days=14),
        limits=limits,
    )
    return envelope(event, company_id, subscription_entity(company_id, version), occurred_at=occurred_at)


def subscription_changed(
    company_id: uuid.UUID,
    *,
    version: int,
    plan_code: str,
    status: str,
    limits: PlanLimits,
    trial_ends_at: datetime | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    event = SubscriptionChanged(
        id=subscription_id(company_id),
        plan_code=plan_code,
        previous_plan_code="starter",
        status=status,
        trial_ends_at=trial_ends_at,
        limits=limits,
    )
    return envelope(event, company_id, subscription_entity(company_id, version), occurred_at=occurred_at)
