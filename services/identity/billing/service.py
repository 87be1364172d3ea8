"""Plan and subscription rules: the Starter trial, the status a company is in, usage against limits."""

import math
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kit.context import RequestContext
from kit.db import new_id, utcnow
from kit.errors import Conflict, InvalidInput
from kit.events import Actor
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import staff_access
from services.identity.accounts.repository import MembershipRepository
from services.identity.billing.events import SubscriptionChanged, TrialStarted, subscription_entity
from services.identity.billing.repository import PlanRepository, SubscriptionRepository, UsageRepository
from services.identity.billing.schemas import (
    PlanLimits,
    PlanRead,
    SubscriptionChange,
    SubscriptionRead,
    SubscriptionState,
    Usage,
)
from services.identity.companies.repository import CompanyRepository
from services.identity.customers.repository import CustomerRepository
from services.identity.models import Plan, StaffRole, Subscription, SubscriptionStatus
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


async def _usage(session: AsyncSession, company_id: uuid.UUID, now: datetime) -> Usage:
    counters = await UsageRepository(session, company_id).values(PRODUCTS_METRIC, orders_metric(now))
    return Usage(
        # Staff plus pending invites: an invite holds its seat until accepted, revoked or expired.
        team_members=await MembershipRepository(session, company_id).count()
        + await InviteRepository(session, company_id).count_pending(now),
        customers=await CustomerRepository(session, company_id).count(),
        products=counters.get(PRODUCTS_METRIC, 0),
        orders_this_month=counters.get(orders_metric(now), 0),
    )


async def lock_plan(session: AsyncSession, company_id: uuid.UUID) -> Plan:
    """The company's current plan, its subscription row locked until commit.

    Checks of a limit (count, compare, insert) take this first, so two requests of one company
    cannot both slip under the limit at once.
    """
    subscription = await SubscriptionRepository(session, company_id).locked()
    return found(await PlanRepository(session).get(subscription.plan_code), "Plan")


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
        entity=subscription_entity(subscription.id),
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
    return SubscriptionRead(
        plan_code=plan.code,
        plan_name=plan.name,
        status=effective_status(subscription, now),
        trial_ends_at=subscription.trial_ends_at,
        trial_days_left=trial_days_left(subscription, now),
        limits=plan_limits(plan),
        usage=usage,
    )


async def record_usage(
    session: AsyncSession, company_id: uuid.UUID, metric: str, value: int, occurred_at: datetime
) -> None:
    """Take another service's count as of its event; an older event arriving late changes nothing.

    A company identity does not have (deleted since) has no usage to keep.
    """
    if await CompanyRepository(session).get(company_id) is None:
        return
    await UsageRepository(session, company_id).record(metric, value, occurred_at)


async def change_plan(session: AsyncSession, change: SubscriptionChange, *, context: RequestContext) -> None:
    """Move the company to another plan (owner only), unless it already uses more than that plan allows."""
    access = await staff_access(session, context)
    access.require_role(StaffRole.OWNER, action="choose the plan")
    company_id = access.membership.company_id
    plan = await PlanRepository(session).get(change.plan_code)
    if plan is None:
        message = f"There is no plan {change.plan_code!r}; GET /api/v1/plans lists them."
        raise InvalidInput(message, errors=[{"field": "planCode", "message": message}])
    subscription = await SubscriptionRepository(session, company_id).locked()
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
    previous_plan = subscription.plan_code
    subscription.plan_code = plan.code
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.trial_ends_at = None
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
        entity=subscription_entity(subscription.id),
        context=context,
    )
