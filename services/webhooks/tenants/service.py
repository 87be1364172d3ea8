"""Rules of webhooks' tenant read model: apply identity's company state, newest version wins."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from services.webhooks.tenants.repository import upsert_newer_tenants


@dataclass(frozen=True)
class CompanyState:
    """A company as one of identity's events left it, at `version`."""

    company_id: uuid.UUID
    version: int
    name: str
    slug: str


async def record_companies(session: AsyncSession, states: Sequence[CompanyState]) -> None:
    """Store each company's state unless a version as new is stored already (one company at most once)."""
    now = utcnow()
    rows = [
        {
            "company_id": state.company_id,
            "name": state.name,
            "slug": state.slug,
            "company_version": state.version,
            "updated_at": now,
        }
        for state in states
    ]
    await upsert_newer_tenants(session, rows)
