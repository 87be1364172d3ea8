"""Rules of webhooks' tenant read model: apply identity's company facts once, newest wins."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.consumer import superseded
from services.webhooks.tenants.repository import LocalTenantRepository
from services.webhooks.tenants.schemas import CompanyFacts


async def record_company(
    session: AsyncSession, company_id: uuid.UUID, facts: CompanyFacts, occurred_at: datetime
) -> None:
    fields: dict[str, Any] = {"name": facts.name, "slug": facts.slug, "updated_from_event_at": occurred_at}
    tenant = await LocalTenantRepository(session, company_id).lock_or_create(**fields)
    if superseded(tenant.updated_from_event_at, occurred_at):
        return
    tenant.name = facts.name
    tenant.slug = facts.slug
    tenant.updated_from_event_at = occurred_at
