"""Plan and subscription rules: the Starter trial, the status a company is in, usage against limits, and the
counters identity's own limits (maxCustomers, maxTeamMembers) are checked against."""

import math
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import BillingProfileChanged, StaffRole, SubscriptionChanged, TrialStarted
from kit.context import RequestContext
from kit.db import new_id, utcnow
from kit.errors import Conflict, InvalidInput, NotFound, PlanLimitReached
from kit.events import Actor
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import staff_access
from services.identity.accounts.repository import MembershipRepository
from services.identity.billing.events import billing_profile_entity, subscription_entity
from services.identity.billing.repository import (
    BillingProfileRepository,
    CountersRepository,
    PlanRepository,
    SubscriptionRepository,
    UsageRepository,
)
from services.identity.billing.schemas import (
    BillingProfileFields,
    BillingProfileRead,
    PlanLimits,
    PlanRead,
    SubscriptionChange,
    SubscriptionRead,
    SubscriptionState,
    Usage,
)
from services.identity.models import BillingProfile, CompanyCounters, Plan, Subscription, SubscriptionStatus
from services.identity.team.repository import InviteRepository

TRIAL_PLAN_CODE = "starter"
DAY = timedelta(days=1)

# Usage counters other services feed through events (catalog: active products; orders: orders per
# calendar month, UTC, once orders exist).
PRODUCTS_METRIC = "products"


def orders_metric(month: datetime) -> str:
    """One counter per calendar month, so a new month starts at zero without a reset job."""
    return f"orders:{month:%Y-%m}"


def plan_limits(plan: Plan) -> PlanLimits:
    return PlanLimits(
        max_products=plan.max_products,
        max_team_members=plan.max_team_members,
        max_customers=plan.max_customers,
        max_orders_per_month=plan.max_orders_per_month,
    )


def plan_read(plan: Plan) -> PlanRead:
    return PlanRead(
        code=plan.code,
        name=plan.name,
        monthly_price=str(Decimal(plan.monthly_price_cents).scaleb(-2)),
        currency=plan.currency,
        limits=plan_limits(plan),
    )


async def team_members(session: AsyncSession, company_id: uuid.UUID, now: datetime) -> int:
    """Staff plus pending invites: an invite holds its seat until accepted, revoked or expired."""
    staff = await MembershipRepository(session, company_id).count()
    return staff + await InviteRepository(session, company_id).count_pending(now)


async def _usage(session: AsyncSession, company_id: uuid.UUID, now: datetime) -> Usage:
    counts = await UsageRepository(session).values(company_id, PRODUCTS_METRIC, orders_metric(now))
    counters = found(await CountersRepository(session, company_id).get(), "Company")
    return Usage(
        team_members=await team_members(session, company_id, now),
        customers=counters.customers,
        products=counts.get(PRODUCTS_METRIC, 0),
        orders_this_month=counts.get(orders_metric(now), 0),
    )


async def _current_plan(session: AsyncSession, company_id: uuid.UUID) -> Plan:
    subscription = found(await SubscriptionRepository(session, company_id).current(), "Company")
    return found(await PlanRepository(session).get(subscription.plan_code), "Plan")


async def take_customer_seat(session: AsyncSession, company_id: uuid.UUID) -> None:
    """Count one more customer in the caller's transaction, or refuse past maxCustomers (contacts are free).

    One conditional UPDATE of the company's counters: no count, and concurrent creates queue on the row
    only until their commit, so two of them can never both take the last seat.
    """
    counters = CountersRepository(session, company_id)
    if await counters.take_customer_seat():
        return
    if await counters.get() is None:
        raise NotFound("Company not found.")
    plan = await _current_plan(session, company_id)
    raise PlanLimitReached(
        f"Your {plan.name} plan allows {plan.max_customers} customers (maxCustomers). "
        "Upgrade your plan in Billing to add more."
    )


async def release_customer_seat(session: AsyncSession, company_id: uuid.UUID) -> None:
    await CountersRepository(session, company_id).release_customer_seat()


async def take_team_seat(session: AsyncSession, company_id: uuid.UUID) -> None:
    """Hold one more team seat (a new invite) in the caller's transaction, or refuse past maxTeamMembers.

    The counter may still count invites that expired since (nothing ticks when they do): before
    refusing, it is recounted exactly, the row locked, and asked again.
    """
    counters = CountersRepository(session, company_id)
    if await counters.take_team_seat():
        return
    locked = found(await counters.lock(), "Company")
    locked.team_seats = await team_members(session, company_id, utcnow())
    await session.flush()
    if await counters.take_team_seat():
        return
    plan = await _current_plan(session, company_id)
    raise PlanLimitReached(
        f"Your {plan.name} plan allows {plan.max_team_members} team members (maxTeamMembers), pending invites "
        "included. Upgrade your plan in Billing to add more."
    )


async def release_team_seat(session: AsyncSession, company_id: uuid.UUID) -> None:
    await CountersRepository(session, company_id).release_team_seat()


async def list_plans(session: AsyncSession) -> list[PlanRead]:
    return [plan_read(plan) for plan in await PlanRepository(session).list()]


async def start_trial(
    session: AsyncSession,
    company_id: uuid.UUID,
    *,
    trial_days: int,
    context: RequestContext,
    actor: Actor,
) -> Subscription:
    """Put a new company on the Starter trial and raise `TrialStarted`."""
    plan = await PlanRepository(session).get(TRIAL_PLAN_CODE)
    if plan is None:
        raise RuntimeError(f"plan {TRIAL_PLAN_CODE!r} is missing; the migrations seed it")
    subscription = SubscriptionRepository(session, company_id).add(
        Subscription(
            id=new_id(),
            company_id=company_id,
            plan_code=plan.code,
            status=SubscriptionStatus.TRIALING,
            trial_ends_at=utcnow() + trial_days * DAY,
            version=1,
        )
    )
    # The owner holds the first team seat.
    CountersRepository(session, company_id).add(
        CompanyCounters(
            company_id=company_id,
            customers=0,
            team_seats=1,
            max_customers=plan.max_customers,
            max_team_members=plan.max_team_members,
        )
    )
    await session.flush()
    await emit(
        session,
        TrialStarted(
            id=subscription.id,
            plan_code=plan.code,
            status=subscription.status.value,
            trial_ends_at=subscription.trial_ends_at,
            limits=plan_limits(plan),
        ),
        company_id=company_id,
        entity=subscription_entity(subscription),
        context=context,
        actor=actor,
    )
    return subscription


_STATES: dict[SubscriptionStatus, SubscriptionState] = {
    SubscriptionStatus.TRIALING: "TRIALING",
    SubscriptionStatus.ACTIVE: "ACTIVE",
    SubscriptionStatus.PAST_DUE: "PAST_DUE",
    SubscriptionStatus.CANCELED: "CANCELED",
}


def effective_status(subscription: Subscription, now: datetime) -> SubscriptionState:
    """The stored status, except that a trial past its end reads EXPIRED (no job has to flip it)."""
    if subscription.status is SubscriptionStatus.TRIALING:
        ended = subscription.trial_ends_at is not None and subscription.trial_ends_at <= now
        return "EXPIRED" if ended else "TRIALING"
    return _STATES[subscription.status]


def trial_days_left(subscription: Subscription, now: datetime) -> int | None:
    if subscription.status is not SubscriptionStatus.TRIALING or subscription.trial_ends_at is None:
        return None
    return max(0, math.ceil((subscription.trial_ends_at - now) / DAY))


async def subscription_overview(session: AsyncSession, context: RequestContext) -> SubscriptionRead:
    await staff_access(session, context)
    company_id = context.require_company()
    subscription = found(await SubscriptionRepository(session, company_id).current(), "Subscription")
    plan = found(await PlanRepository(session).get(subscription.plan_code), "Plan")
    now = utcnow()
    usage = await _usage(session, company_id, now)
    profile = await BillingProfileRepository(session, company_id).current()
    return SubscriptionRead(
        plan_code=plan.code,
        plan_name=plan.name,
        status=effective_status(subscription, now),
        trial_ends_at=subscription.trial_ends_at,
        trial_days_left=trial_days_left(subscription, now),
        limits=plan_limits(plan),
        usage=usage,
        billing_profile=BillingProfileRead.model_validate(profile) if profile is not None else None,
    )


async def change_plan(session: AsyncSession, change: SubscriptionChange, *, context: RequestContext) -> None:
    """Move the company to another plan (owner only), unless it already uses more than that plan allows, and set
    its billing profile: required the first time, replaced when given again."""
    access = await staff_access(session, context)
    access.require_role(StaffRole.OWNER, action="choose the plan")
    company_id = access.membership.company_id
    plan = await PlanRepository(session).get(change.plan_code)
    if plan is None:
        message = f"There is no plan {change.plan_code!r}; GET /api/v1/plans lists them."
        raise InvalidInput(message, errors=[{"field": "planCode", "message": message}])
    # Locked first: plan and profile changes of one company go one at a time.
    subscription = await SubscriptionRepository(session, company_id).locked()
    profiles = BillingProfileRepository(session, company_id)
    profile = await profiles.current()
    if profile is None and change.billing_profile is None:
        message = (
            "Choosing a plan needs the billing profile your company is invoiced as: billingProfile with legalName, "
            "email, addressLine1, city, postalCode and country (taxId where you have one)."
        )
        raise InvalidInput(message, errors=[{"field": "billingProfile", "message": message}])
    # Locked too: creates taking a seat wait for the new limits, and the counts below stay true until commit.
    counters = found(await CountersRepository(session, company_id).lock(), "Company")
    usage = await _usage(session, company_id, utcnow())
    limits = plan_limits(plan)
    over = [
        f"{name} ({used} in use, {plan.name} allows {limit})"
        for name, used, limit in (
            ("maxTeamMembers", usage.team_members, limits.max_team_members),
            ("maxCustomers", usage.customers, limits.max_customers),
            ("maxProducts", usage.products, limits.max_products),
        )
        if limit is not None and used > limit
    ]
    if over:
        raise Conflict(f"Your company uses more than the {plan.name} plan allows: {'; '.join(over)}.")
    if change.billing_profile is not None:
        await _set_billing_profile(session, profiles, profile, change.billing_profile, context)
    if subscription.plan_code == plan.code and subscription.status is SubscriptionStatus.ACTIVE:
        # The plan it is on already: only the billing profile changed, if anything.
        return
    previous_plan = subscription.plan_code
    subscription.plan_code = plan.code
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.trial_ends_at = None
    subscription.version += 1
    counters.max_customers = limits.max_customers
    counters.max_team_members = limits.max_team_members
    counters.team_seats = usage.team_members
    await session.flush()
    await emit(
        session,
        SubscriptionChanged(
            id=subscription.id,
            plan_code=plan.code,
            previous_plan_code=previous_plan,
            status=subscription.status.value,
            trial_ends_at=None,
            limits=limits,
        ),
        company_id=company_id,
        entity=subscription_entity(subscription),
        context=context,
    )


async def _set_billing_profile(
    session: AsyncSession,
    profiles: BillingProfileRepository,
    profile: BillingProfile | None,
    fields: BillingProfileFields,
    context: RequestContext,
) -> None:
    """Create or replace the company's billing profile, and raise `BillingProfileChanged` when anything changed."""
    values = fields.model_dump()
    if profile is None:
        profile = profiles.add(BillingProfile(id=new_id(), company_id=profiles.company_id, version=1, **values))
        changed = list(values)
    else:
        changed = [name for name, value in values.items() if getattr(profile, name) != value]
        if not changed:
            return
        for name in changed:
            setattr(profile, name, values[name])
        profile.version += 1
    await session.flush()
    await emit(
        session,
        BillingProfileChanged(id=profile.id, **values, changes=[to_camel(name) for name in changed]),
        company_id=profiles.company_id,
        entity=billing_profile_entity(profile),
        context=context,
    )
