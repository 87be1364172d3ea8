"""Rules of webhooks' tenant read model: apply identity's company facts once, newest wins."""

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.tenants.repository import LocalTenantRepository
from services.webhooks.tenants.schemas import CompanyFacts

logger = logging.getLogger(__name__)


async def record_company(
    session: AsyncSession, company_id: uuid.UUID, facts: CompanyFacts, occurred_at: datetime
) -> None:
    fields = {"name": facts.name, "slug": facts.slug, "updated_from_event_at": occurred_at}
    tenant = await LocalTenantRepository(session, company_id).create_or_lock(**fields)
    if occurred_at < tenant.updated_from_event_at:
        logger.info("ignored an event older than the tenant state it would overwrite")
        return
    tenant.name = facts.name
    tenant.slug = facts.slug
    tenant.updated_from_event_at = occurred_at
