"""Queries of the audit log: reads scoped to the context's company, and the consumer's batched insert."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import insert_for
from kit.pagination import keyset_page
from kit.repository import TenantRepository
from services.audit.models import AuditLog


@dataclass(frozen=True)
class AuditLogFilters:
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    actor_type: str | None = None
    actor_id: uuid.UUID | None = None
    # createdAt >= created_from and createdAt < created_to.
    created_from: datetime | None = None
    created_to: datetime | None = None


class AuditLogRepository(TenantRepository[AuditLog]):
    model = AuditLog

    async def page(
        self, filters: AuditLogFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[AuditLog], str | None]:
        """One page of the company's entries matching `filters`, newest first."""
        statement = self.statement()
        equal_to = (
            (AuditLog.action, filters.action),
            (AuditLog.entity_type, filters.entity_type),
            (AuditLog.entity_id, filters.entity_id),
            (AuditLog.actor_type, filters.actor_type),
            (AuditLog.actor_id, filters.actor_id),
        )
        for column, value in equal_to:
            if value is not None:
                statement = statement.where(column == value)
        if filters.created_from is not None:
            statement = statement.where(AuditLog.created_at >= filters.created_from)
        if filters.created_to is not None:
            statement = statement.where(AuditLog.created_at < filters.created_to)
        return await keyset_page(
            self.session,
            statement,
            sort_column=AuditLog.created_at,
            id_column=AuditLog.id,
            limit=limit,
            cursor=cursor,
        )


async def insert_entries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert entries of any companies (each row names its own) in one statement; an event id already
    recorded adds nothing."""
    if not rows:
        return
    # Rows as parameters, not VALUES: the statement is compiled once and cached, whatever the batch's size.
    statement = insert_for(session, AuditLog.__table__).on_conflict_do_nothing(index_elements=["event_id"])
    await session.execute(statement, list(rows))
