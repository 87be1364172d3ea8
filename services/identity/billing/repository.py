"""Queries on plans (global), subscriptions and usage counters (per company)."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import new_id
from kit.repository import TenantRepository
from services.identity.models import Plan, Subscription, UsageCounter

# The as-of time of a counter no event has fed yet: any event is newer.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


class PlanRepository:
    """Plans are the same for every company."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self) -> Sequence[Plan]:
        return (await self.session.scalars(select(Plan).order_by(Plan.sort_order, Plan.code))).all()

    async def get(self, code: str) -> Plan | None:
        return await self.session.get(Plan, code)


class SubscriptionRepository(TenantRepository[Subscription]):
    model = Subscription

    async def current(self) -> Subscription | None:
        subscription: Subscription | None = await self.session.scalar(self.statement())
        return subscription

    async def locked(self) -> Subscription:
        """The company's subscription, locked until commit (every company has one from signup)."""
        return (await self.session.scalars(self.statement().with_for_update())).one()


class UsageRepository(TenantRepository[UsageCounter]):
    model = UsageCounter

    async def lock_metric(self, metric: str) -> UsageCounter:
        """The company's counter of `metric`, locked until commit; a new one starts at zero, as of never."""
        return await self.lock_or_create(
            unique=("company_id", "metric"), id=new_id(), metric=metric, value=0, updated_at=NEVER
        )

    async def values(self, *metrics: str) -> dict[str, int]:
        rows = await self.session.scalars(self.statement().where(UsageCounter.metric.in_(metrics)))
        return {row.metric: row.value for row in rows}
