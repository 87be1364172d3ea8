"""Queries on plans (global), subscriptions and usage counters (per company)."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.repository import TenantRepository
from services.identity.models import Plan, Subscription, UsageCounter


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


class UsageRepository(TenantRepository[UsageCounter]):
    model = UsageCounter

    async def values(self, *metrics: str) -> dict[str, int]:
        rows = await self.session.scalars(self.statement().where(UsageCounter.metric.in_(metrics)))
        return {row.metric: row.value for row in rows}
