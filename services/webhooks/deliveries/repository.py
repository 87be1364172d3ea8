"""Queries on deliveries and attempts: the API's, scoped by company, and the background work's.

The consumer records deliveries for the companies of a batch, the sender claims what is due across
companies and the pruner removes old rows of every company: work that is cross-tenant by nature, each
statement saying so. Everything they then write about one delivery is scoped by its company.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import MetaData, Table, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database, insert_for
from kit.pagination import keyset_page
from kit.repository import COMPANY, TenantRepository, scoped_select, scoped_update
from services.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

DELIVERIES = cast(Table, WebhookDelivery.__table__)
ATTEMPTS = cast(Table, WebhookAttempt.__table__)
ENDPOINTS = cast(Table, WebhookEndpoint.__table__)


@dataclass(frozen=True)
class DeliveryFilters:
    status: DeliveryStatus | None = None
    event_type: str | None = None


class DeliveryRepository(TenantRepository[WebhookDelivery]):
    model = WebhookDelivery

    async def of_endpoint(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery | None:
        statement = self.statement().where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
        )
        delivery: WebhookDelivery | None = await self.session.scalar(statement)
        return delivery

    async def page(
        self, endpoint_id: uuid.UUID, filters: DeliveryFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[WebhookDelivery], str | None]:
        """The endpoint's deliveries, newest first."""
        statement = self.statement().where(WebhookDelivery.endpoint_id == endpoint_id)
        if filters.status is not None:
            statement = statement.where(WebhookDelivery.status == filters.status)
        if filters.event_type is not None:
            statement = statement.where(WebhookDelivery.event_type == filters.event_type)
        return await keyset_page(
            self.session,
            statement,
            sort_column=WebhookDelivery.created_at,
            id_column=WebhookDelivery.id,
            limit=limit,
            cursor=cursor,
        )

    async def latest(self, endpoint_id: uuid.UUID) -> WebhookDelivery | None:
        statement = (
            self.statement()
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(1)
        )
        delivery: WebhookDelivery | None = await self.session.scalar(statement)
        return delivery

    async def attempts_of(self, delivery_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[WebhookAttempt]]:
        """Each delivery's attempts, oldest first."""
        if not delivery_ids:
            return {}
        statement = (
            scoped_select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.at, WebhookAttempt.id)
        )
        attempts: dict[uuid.UUID, list[WebhookAttempt]] = {delivery_id: [] for delivery_id in delivery_ids}
        for attempt in await self.session.scalars(statement, {COMPANY: self.company_id}):
            attempts[attempt.delivery_id].append(attempt)
        return attempts

    async def send_again(self, delivery: WebhookDelivery, now: datetime) -> None:
        """One more attempt, now: whatever the delivery's outcome so far."""
        statement = (
            scoped_update(DELIVERIES)
            .where(DELIVERIES.c.id == delivery.id)
            .values(status=DeliveryStatus.PENDING, next_attempt_at=now, finished_at=None)
        )
        await self.session.execute(statement, {COMPANY: self.company_id})


# -- recording, as events are consumed -------------------------------------------------------------------


@dataclass(frozen=True)
class Subscriber:
    id: uuid.UUID
    company_id: uuid.UUID
    event_types: list[str]
    created_at: datetime


async def subscribed_endpoints(session: AsyncSession, company_ids: Sequence[uuid.UUID]) -> list[Subscriber]:
    """The enabled endpoints of these companies."""
    statement = select(ENDPOINTS.c.id, ENDPOINTS.c.company_id, ENDPOINTS.c.event_types, ENDPOINTS.c.created_at).where(
        ENDPOINTS.c.company_id.in_(company_ids),  # tenancy: the companies of the batch, each event to its own
        ENDPOINTS.c.enabled.is_(True),
    )
    return [
        Subscriber(row.id, row.company_id, list(row.event_types), row.created_at)
        for row in await session.execute(statement)
    ]


async def insert_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert deliveries, skipping any (endpoint, event) recorded already; returns how many were new."""
    if not rows:
        return 0
    ordered = sorted(rows, key=lambda row: (str(row["endpoint_id"]), str(row["event_id"])))
    statement = (
        insert_for(session, DELIVERIES)
        .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
        .returning(DELIVERIES.c.id)
    )
    return len((await session.execute(statement, ordered)).all())


# -- sending ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedDelivery:
    """A due delivery a sender holds, with what it needs to send it."""

    id: uuid.UUID
    company_id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    body: dict[str, Any]
    attempt_count: int
    url: str
    # Sealed (services.webhooks.sealing): the sender unseals them to sign.
    sealed_secret: str
    sealed_previous_secret: str | None
    previous_secret_expires_at: datetime | None


async def claim_due(
    database: Database, metadata: MetaData, now: datetime, *, limit: int, lease: timedelta
) -> list[ClaimedDelivery]:
    """Up to `limit` due deliveries of enabled endpoints of companies not deleted, leased to this sender.

    One short transaction: rows another sender is claiming are skipped (FOR UPDATE SKIP LOCKED; SQLite,
    one process, has no row locks), and once it commits the lease keeps them out of every other claim.
    """
    deleted = metadata.tables["deleted_companies"]
    due = (
        select(DELIVERIES.c.id)
        .join(ENDPOINTS, ENDPOINTS.c.id == DELIVERIES.c.endpoint_id)
        .where(
            DELIVERIES.c.status == DeliveryStatus.PENDING,
            DELIVERIES.c.next_attempt_at <= now,
            or_(DELIVERIES.c.claimed_until.is_(None), DELIVERIES.c.claimed_until < now),
            ENDPOINTS.c.enabled.is_(True),
            DELIVERIES.c.company_id.not_in(select(deleted.c.id)),  # tenancy: the sender serves every company
        )
        .order_by(DELIVERIES.c.next_attempt_at)
        .limit(limit)
    )
    if not database.is_sqlite:
        due = due.with_for_update(of=DELIVERIES, skip_locked=True)
    async with database.sessionmaker() as session:
        ids = list(await session.scalars(due))
        if not ids:
            await session.rollback()
            return []
        await session.execute(update(DELIVERIES).where(DELIVERIES.c.id.in_(ids)).values(claimed_until=now + lease))
        rows = await session.execute(
            select(
                DELIVERIES.c.id,
                DELIVERIES.c.company_id,
                DELIVERIES.c.endpoint_id,
                DELIVERIES.c.event_id,
                DELIVERIES.c.body,
                DELIVERIES.c.attempt_count,
                ENDPOINTS.c.url,
                ENDPOINTS.c.sealed_secret,
                ENDPOINTS.c.sealed_previous_secret,
                ENDPOINTS.c.previous_secret_expires_at,
            )
            .join(ENDPOINTS, ENDPOINTS.c.id == DELIVERIES.c.endpoint_id)
            .where(DELIVERIES.c.id.in_(ids))
            .order_by(DELIVERIES.c.next_attempt_at)
        )
        claimed = [ClaimedDelivery(**row._mapping) for row in rows]
        await session.commit()
    return claimed


async def record_attempt(session: AsyncSession, claimed: ClaimedDelivery, values: dict[str, Any]) -> bool:
    """The attempt's row, unless its delivery is gone meanwhile (its endpoint deleted): then False."""
    exists = await session.scalar(
        scoped_select(DELIVERIES, DELIVERIES.c.id).where(DELIVERIES.c.id == claimed.id).with_for_update(),
        {COMPANY: claimed.company_id},
    )
    if exists is None:
        return False
    await session.execute(
        insert_for(session, ATTEMPTS).values(company_id=claimed.company_id, delivery_id=claimed.id, **values)
    )
    return True


async def update_delivery(session: AsyncSession, claimed: ClaimedDelivery, values: dict[str, Any]) -> None:
    """The delivery's outcome; its lease released."""
    statement = scoped_update(DELIVERIES).where(DELIVERIES.c.id == claimed.id).values(claimed_until=None, **values)
    await session.execute(statement, {COMPANY: claimed.company_id})


async def endpoint_succeeded(session: AsyncSession, claimed: ClaimedDelivery) -> None:
    statement = (
        scoped_update(ENDPOINTS)
        .where(ENDPOINTS.c.id == claimed.endpoint_id, ENDPOINTS.c.failing_since.is_not(None))
        .values(failing_since=None)
    )
    await session.execute(statement, {COMPANY: claimed.company_id})


async def endpoint_failed(session: AsyncSession, claimed: ClaimedDelivery, now: datetime) -> datetime | None:
    """Mark the endpoint failing since now unless it already is; returns since when (None: endpoint gone)."""
    statement = (
        scoped_update(ENDPOINTS)
        .where(ENDPOINTS.c.id == claimed.endpoint_id)
        .values(failing_since=func.coalesce(ENDPOINTS.c.failing_since, now))
        .returning(ENDPOINTS.c.failing_since)
    )
    since: datetime | None = (await session.execute(statement, {COMPANY: claimed.company_id})).scalar()
    return since


async def disable_endpoint(
    session: AsyncSession, company_id: uuid.UUID, endpoint_id: uuid.UUID, reason: str, now: datetime
) -> tuple[int, str] | None:
    """Disable the endpoint (the sender's doing, not a person's) unless it already is; its new version and URL, or
    None when nothing changed."""
    statement = (
        scoped_update(ENDPOINTS)
        .where(ENDPOINTS.c.id == endpoint_id, ENDPOINTS.c.enabled.is_(True))
        .values(
            enabled=False,
            disabled_reason=reason,
            disabled_at=now,
            disabled_automatically=True,
            updated_at=now,
            version=ENDPOINTS.c.version + 1,
        )
        .returning(ENDPOINTS.c.version, ENDPOINTS.c.url)
    )
    row = (await session.execute(statement, {COMPANY: company_id})).first()
    return (int(row.version), str(row.url)) if row is not None else None


# -- retention -------------------------------------------------------------------------------------------


async def prune_deliveries(database: Database, cutoff: datetime, batch: int) -> int:
    """Delete deliveries created before `cutoff` with their attempts, `batch` per transaction; returns how many."""
    total = 0
    while True:
        async with database.sessionmaker() as session:
            # tenancy: retention applies to every company alike
            old = select(DELIVERIES.c.id).where(DELIVERIES.c.created_at < cutoff).limit(batch)
            ids = list(await session.scalars(old))
            if ids:
                await session.execute(delete(ATTEMPTS).where(ATTEMPTS.c.delivery_id.in_(ids)))
                await session.execute(delete(DELIVERIES).where(DELIVERIES.c.id.in_(ids)))
            await session.commit()
        total += len(ids)
        if len(ids) < batch:
            return total
