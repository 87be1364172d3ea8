"""Queries on orders' tenant rows: reads scoped to one company, and the consumer's batched upserts."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import ReadOnlySession, upsert_newer
from kit.repository import COMPANY, TenantRepository, scoped_select
from services.orders.models import OrderCounter, Tenant

COUNTERS = cast(Table, OrderCounter.__table__)

_MONTH_COUNT = scoped_select(COUNTERS, COUNTERS.c.month, COUNTERS.c.month_orders)


class LocalTenantRepository(TenantRepository[Tenant]):
    model = Tenant


async def upsert_newer_tenants(session: AsyncSession, rows: Sequence[dict[str, Any]], *, version: str) -> None:
    """Insert or update tenant rows (each names its company) in one statement, each only where the stored
    `version` column is older than the row's."""
    if rows:
        await upsert_newer(session, Tenant.__table__, rows, key=("company_id",), version=version)


async def month_count(session: ReadOnlySession, company_id: uuid.UUID) -> tuple[dt.date, int] | None:
    """The month the company's order counter counts (its first day) and its orders then; None before the first."""
    row = (await session.execute(_MONTH_COUNT, {COMPANY: company_id})).one_or_none()
    return None if row is None else (row.month, row.month_orders)
