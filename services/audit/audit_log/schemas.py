"""The audit log's public JSON shapes."""

import uuid
from datetime import datetime
from typing import Any

from kit.events import ActorType
from kit.schemas import CamelModel
from services.audit.models import AuditLog


class AuditLogEntry(CamelModel):
    id: uuid.UUID
    action: str
    entity_type: str
    entity_id: str
    actor_type: ActorType
    actor_id: uuid.UUID | None
    ip_address: str | None
    request_id: str | None
    metadata: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_row(cls, row: AuditLog) -> "AuditLogEntry":
        return cls(
            id=row.id,
            action=row.action,
            entity_type=row.entity_type,
            entity_id=row.entity_id,
            actor_type=row.actor_type,  # the CHECK constraint keeps it one of ActorType
            actor_id=row.actor_id,
            ip_address=row.ip_address,
            request_id=row.request_id,
            metadata=row.metadata_,
            created_at=row.created_at,
        )
