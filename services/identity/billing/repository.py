"""Queries on plans (global), subscriptions, identity's limit counters and usage counters (per company)."""

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import upsert_newer
from kit.repository import COMPANY, TenantRepository, scoped_select, scoped_update
from services.identity.models import BillingProfile, Company, CompanyCounters, Plan, Subscription, UsageCounter


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


class BillingProfileRepository(TenantRepository[BillingProfile]):
    model = BillingProfile

    async def current(self) -> BillingProfile | None:
        """The company's profile (None until it first chooses a plan); changed only under the subscription's lock."""
        profile: BillingProfile | None = await self.session.scalar(self.statement())
        return profile


class CountersRepository:
    """The company's row of identity's limit counters (`CompanyCounters`).

    Taking a seat is one conditional UPDATE: it holds the row only from there to commit, and a plan
    change (which locks the row) and concurrent creates queue on it, each seeing the others' result.
    """

    def __init__(self, session: AsyncSession, company_id: uuid.UUID) -> None:
        self.session = session
        self.company_id = company_id

    def add(self, counters: CompanyCounters) -> CompanyCounters:
        if counters.company_id != self.company_id:
            raise ValueError("counters of another company")
        self.session.add(counters)
        return counters

    async def get(self) -> CompanyCounters | None:
        return await self.session.get(CompanyCounters, self.company_id)

    async def lock(self) -> CompanyCounters | None:
        counters: CompanyCounters | None = await self.session.scalar(
            scoped_select(CompanyCounters).with_for_update().execution_options(populate_existing=True),
            {COMPANY: self.company_id},
        )
        return counters

    async def take_customer_seat(self) -> bool:
        """One more customer, if maxCustomers leaves room; False when it does not (or the company is gone)."""
        taken = await self.session.scalar(
            scoped_update(CompanyCounters)
            .where(
                CompanyCounters.max_customers.is_(None) | (CompanyCounters.customers < CompanyCounters.max_customers),
            )
            .values(customers=CompanyCounters.customers + 1)
            .returning(CompanyCounters.customers)
            .execution_options(synchronize_session=False),
            {COMPANY: self.company_id},
        )
        return taken is not None

    async def release_customer_seat(self) -> None:
        await self._add(customers=-1)

    async def take_team_seat(self) -> bool:
        """One more team seat (a pending invite), if maxTeamMembers leaves room by the counter's reckoning."""
        taken = await self.session.scalar(
            scoped_update(CompanyCounters)
            .where(
                CompanyCounters.max_team_members.is_(None)
                | (CompanyCounters.team_seats < CompanyCounters.max_team_members),
            )
            .values(team_seats=CompanyCounters.team_seats + 1)
            .returning(CompanyCounters.team_seats)
            .execution_options(synchronize_session=False),
            {COMPANY: self.company_id},
        )
        return taken is not None

    async def release_team_seat(self) -> None:
        await self._add(team_seats=-1)

    async def _add(self, **deltas: int) -> None:
        await self.session.execute(
            scoped_update(CompanyCounters)
            .values({name: getattr(CompanyCounters, name) + delta for name, delta in deltas.items()})
            .execution_options(synchronize_session=False),
            {COMPANY: self.company_id},
        )


class UsageRepository:
    """Usage counters fed by other services' events; each company's row of a metric keeps the newest count."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def values(self, company_id: uuid.UUID, *metrics: str) -> dict[str, int]:
        rows = await self.session.execute(
            scoped_select(UsageCounter, UsageCounter.metric, UsageCounter.value).where(
                UsageCounter.metric.in_(metrics)
            ),
            {COMPANY: company_id},
        )
        return {row.metric: row.value for row in rows}

    async def record_newest(self, metric: str, counts: Mapping[uuid.UUID, tuple[int, int]]) -> None:
        """Take each company's (count, version) of `metric` unless a newer version is already stored: one
        statement for them all. Companies identity does not have (deleted since) are skipped."""
        if not counts:
            return
        # Key-share locked: a company deleted meanwhile waits for this commit, so the insert below cannot fail.
        known = set(
            await self.session.scalars(
                select(Company.id).where(Company.id.in_(list(counts))).with_for_update(key_share=True)
            )
        )
        rows = [
            {"company_id": company_id, "metric": metric, "value": value, "version": version}
            for company_id, (value, version) in counts.items()
            if company_id in known
        ]
        await upsert_newer(self.session, UsageCounter, rows, key=("company_id", "metric"), version="version")
