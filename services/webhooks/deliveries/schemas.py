"""Response bodies of the delivery routes."""

import uuid
from datetime import datetime
from typing import Any

from kit.schemas import CamelModel
from services.webhooks.models import DeliveryStatus


class AttemptRead(CamelModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    request_headers: dict[str, Any]
    response_body: str


class DeliveryRead(CamelModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    created_at: datetime
    next_attempt_at: datetime | None
    attempts: list[AttemptRead]


class DeliveryDetail(DeliveryRead):
    """A delivery with the exact JSON it sends."""

    body: dict[str, Any]
