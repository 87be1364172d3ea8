"""Queries on orders' tenant rows: reads scoped to one company, and the consumer's batched upserts."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import upsert_newer
from kit.repository import TenantRepository
from services.orders.models import Tenant


class LocalTenantRepository(TenantRepository[Tenant]):
    model = Tenant


async def upsert_newer_tenants(session: AsyncSession, rows: Sequence[dict[str, Any]], *, version: str) -> None:
    """Insert or update tenant rows (each names its company) in one statement, each only where the stored
    `version` column is older than the row's."""
    if rows:
        await upsert_newer(session, Tenant.__table__, rows, key=("company_id",), version=version)
