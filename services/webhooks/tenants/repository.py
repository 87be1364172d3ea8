"""Queries on webhooks' tenant rows: reads scoped to one company, and the consumer's batched upsert."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import upsert_newer
from kit.repository import TenantRepository
from services.webhooks.models import Tenant


class LocalTenantRepository(TenantRepository[Tenant]):
    model = Tenant


async def upsert_newer_tenants(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update tenant rows (each names its company) in one statement, each only where the stored
    company version is older than the row's."""
    if rows:
        await upsert_newer(session, Tenant.__table__, rows, key=("company_id",), version="company_version")
