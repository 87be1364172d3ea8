"""Queries on plans (global), subscriptions and usage counters (per company)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import new_id, upsert
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

    async def locked(self) -> Subscription:
        """The company's subscription, locked until commit (every company has one from signup)."""
        return (await self.session.scalars(self.statement().with_for_update())).one()


class UsageRepository(TenantRepository[UsageCounter]):
    model = UsageCounter

    async def record(self, metric: str, value: int, as_of: datetime) -> None:
        """Set the company's counter of `metric` to `value` as of `as_of`, unless it already holds a newer
        value: one statement, so concurrent events for one company hold its row only that long."""
        insert = upsert(self.session, UsageCounter).values(
            id=new_id(), company_id=self.company_id, metric=metric, value=value, updated_at=as_of
        )
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=["company_id", "metric"],
                set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
                where=UsageCounter.updated_at < insert.excluded.updated_at,
            )
        )

    async def values(self, *metrics: str) -> dict[str, int]:
        rows = await self.session.scalars(self.statement().where(UsageCounter.metric.in_(metrics)))
        return {row.metric: row.value for row in rows}
