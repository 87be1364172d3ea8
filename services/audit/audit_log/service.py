"""The audit log's rules: which events become entries, and who may read them."""

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import CompanyDeleted
from kit.context import RequestContext
from kit.db import new_id
from kit.errors import Forbidden, InvalidInput
from kit.events import EventEnvelope
from services.audit.audit_log.repository import AuditLogFilters, AuditLogRepository, insert_entries
from services.audit.models import AuditLog

logger = logging.getLogger(__name__)

READ_SCOPE = "audit:read"
READER_ROLES = ("OWNER", "ADMIN")


# Rows per INSERT: far above a consumer batch, and far below the bind-parameter limits (about 32,000 on
# PostgreSQL and SQLite) at 12 parameters a row.
ROWS_PER_STATEMENT = 2_000


def entry_row(envelope: EventEnvelope) -> dict[str, Any] | None:
    """The audit entry of one event, as a row; None for an event that belongs to no company."""
    if envelope.company_id is None:
        return None
    metadata = dict(envelope.data)
    if envelope.actor.api_key_id is not None:
        # The actor of an integrator's request is SYSTEM; the key that made it is what an auditor needs.
        metadata["apiKeyId"] = str(envelope.actor.api_key_id)
    return {
        "id": new_id(),
        "company_id": envelope.company_id,
        "event_id": envelope.id,
        "action": envelope.type,
        "entity_type": envelope.entity.type,
        "entity_id": envelope.entity.id,
        "actor_type": envelope.actor.type,
        "actor_id": envelope.actor.id,
        "ip_address": envelope.ip_address,
        "request_id": envelope.request_id,
        "metadata": metadata,
        "created_at": envelope.occurred_at,
    }


async def record(session: AsyncSession, envelopes: Sequence[EventEnvelope]) -> int:
    """Add the entries of a batch of events in one INSERT; returns how many events were audited.

    Events that belong to no company have nothing to be scoped to. A deleted company's log is purged
    (kit.purge), so its CompanyDeleted is not recorded either: identity's tombstone is the record of it.
    """
    rows = []
    for envelope in envelopes:
        row = entry_row(envelope) if envelope.type != CompanyDeleted.event_type else None
        if row is None:
            logger.debug("event is not audited", extra={"type": envelope.type})
        else:
            rows.append(row)
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        # The kit dedupes event ids before handing them over; the unique event_id backs that up.
        await insert_entries(session, rows[start : start + ROWS_PER_STATEMENT])
    return len(rows)


def authorize_read(context: RequestContext) -> uuid.UUID:
    """The company whose log the caller may read: owners and admins, or API keys with `audit:read`."""
    company_id = context.require_company()
    principal = context.principal
    if principal.type == "user" and principal.role in READER_ROLES:
        return company_id
    if principal.type == "api_key" and principal.has_scope(READ_SCOPE):
        return company_id
    raise Forbidden("Only owners, admins and API keys with the audit:read scope can read the audit log.")


async def list_entries(
    session: AsyncSession, company_id: uuid.UUID, filters: AuditLogFilters, *, limit: int, cursor: str | None
) -> tuple[list[AuditLog], str | None]:
    if filters.created_from and filters.created_to and filters.created_from > filters.created_to:
        raise InvalidInput(
            "`from` must not be later than `to`.",
            errors=[{"field": "from", "message": "must not be later than to"}],
        )
    return await AuditLogRepository(session, company_id).page(filters, limit=limit, cursor=cursor)


async def get_entry(session: AsyncSession, company_id: uuid.UUID, entry_id: uuid.UUID) -> AuditLog:
    return await AuditLogRepository(session, company_id).get_or_404(entry_id, "Audit log entry")
