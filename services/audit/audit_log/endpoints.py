"""`GET /api/v1/audit-logs[/{id}]`: the company's audit log, newest first, with filters and cursor pages."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from kit.access import staff
from kit.context import Context
from kit.db import Session
from kit.errors import Forbidden, InvalidInput, NotFound, Unauthorized, problem_responses
from kit.events import ActorType
from kit.pagination import Cursor, Limit, Page
from services.audit.audit_log import service
from services.audit.audit_log.repository import AuditLogFilters
from services.audit.audit_log.schemas import AuditLogEntry, IsoDateTime

router = APIRouter(
    prefix="/api/v1/audit-logs", tags=["audit log"], dependencies=[staff("OWNER", "ADMIN", scope="audit")]
)

ISO_RULE = "An ISO 8601 date-time (not a Unix timestamp); without an offset it is read as UTC."


def _utc(value: datetime | None) -> datetime | None:
    """Timestamps without an offset are read as UTC, the API's time zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@router.get(
    "",
    summary="List audit log entries",
    responses=problem_responses(InvalidInput, Unauthorized, Forbidden),
)
async def list_audit_logs(
    session: Session,
    context: Context,
    limit: Limit = 50,
    cursor: Cursor = None,
    action: Annotated[str | None, Query(max_length=200, description="Event type, e.g. CompanyCreated.")] = None,
    entity_type: Annotated[str | None, Query(alias="entityType", max_length=200)] = None,
    entity_id: Annotated[str | None, Query(alias="entityId", max_length=200)] = None,
    actor_type: Annotated[ActorType | None, Query(alias="actorType")] = None,
    actor_id: Annotated[uuid.UUID | None, Query(alias="actorId")] = None,
    created_from: Annotated[
        IsoDateTime | None, Query(alias="from", description=f"Entries at or after. {ISO_RULE}")
    ] = None,
    created_to: Annotated[IsoDateTime | None, Query(alias="to", description=f"Entries before. {ISO_RULE}")] = None,
) -> Page[AuditLogEntry]:
    company_id = service.authorize_read(context)
    filters = AuditLogFilters(
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_type=actor_type,
        actor_id=actor_id,
        created_from=_utc(created_from),
        created_to=_utc(created_to),
    )
    rows, next_cursor = await service.list_entries(session, company_id, filters, limit=limit, cursor=cursor)
    return Page[AuditLogEntry](items=[AuditLogEntry.from_row(row) for row in rows], next_cursor=next_cursor)


@router.get(
    "/{entry_id}",
    summary="Get one audit log entry",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def get_audit_log(session: Session, context: Context, entry_id: uuid.UUID) -> AuditLogEntry:
    company_id = service.authorize_read(context)
    return AuditLogEntry.from_row(await service.get_entry(session, company_id, entry_id))
