"""The audit log's public JSON shapes."""

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from kit.events import ActorType
from kit.schemas import CamelModel
from services.audit.models import AuditLog

# An ISO 8601 / RFC 3339 date-time: a date, `T`, a time to the minute or finer, then `Z` or an offset. Without
# an offset the time is read as UTC (`endpoints._utc`).
_ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?")


def iso_date_time(value: Any) -> Any:
    """Only ISO 8601 text reaches pydantic's datetime parsing, which would also read numbers as Unix times."""
    if not isinstance(value, str) or _ISO_DATE_TIME.fullmatch(value) is None:
        raise PydanticCustomError(
            "iso_date_time", "Must be an ISO 8601 date-time, e.g. 2026-02-01T09:30:00Z or 2026-02-01T10:30:00+01:00."
        )
    return value


# A date-time query filter: documented as `format: date-time`, read from ISO 8601 text only.
IsoDateTime = Annotated[datetime, BeforeValidator(iso_date_time)]


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
