"""Queries on catalog's tenant rows: each company's own, and the read model's batched writes."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import upsert_newer
from kit.repository import TenantReader
from services.catalog.models import Tenant


class LocalTenantRepository(TenantReader[Tenant]):
    model = Tenant


async def apply_company_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Companies' names, slugs and currency settings, each kept only over an older company version."""
    await upsert_newer(session, Tenant, rows, key=["company_id"], version="company_version")


async def apply_subscription_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Companies' plans and limits, each kept only over an older subscription version."""
    await upsert_newer(session, Tenant, rows, key=["company_id"], version="subscription_version")
