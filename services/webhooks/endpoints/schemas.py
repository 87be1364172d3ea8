"""Request and response bodies of the webhook endpoint routes."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from kit.schemas import CamelModel
from services.webhooks.models import DeliveryStatus

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
EventTypes = Annotated[
    list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]],
    Field(min_length=1, max_length=100, description='Event types from `GET /api/v1/webhooks/event-types`, or ["*"].'),
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class WebhookCreate(CamelModel):
    url: Url
    events: EventTypes
    description: Description = ""
    enabled: bool = True


class WebhookChange(CamelModel):
    """Only the fields sent change. Enabling clears the reason it was disabled for and resumes its deliveries."""

    url: Url | None = None
    events: EventTypes | None = None
    description: Description | None = None
    enabled: bool | None = None


class LastDelivery(CamelModel):
    status: DeliveryStatus
    at: datetime
    status_code: int | None


class WebhookRead(CamelModel):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    # True when the sender disabled it (a 410, or every attempt failing for days), false when a person did.
    disabled_automatically: bool = False
    created_at: datetime
    updated_at: datetime
    last_delivery: LastDelivery | None = None


class WebhookWithSecret(WebhookRead):
    """The answer to creating a webhook: the only time, besides a rotation, its secret is shown."""

    secret: str


class RotatedSecret(CamelModel):
    secret: str
    previous_secret_expires_at: datetime


class EventType(CamelModel):
    type: str
    description: str


class EventTypeList(CamelModel):
    items: list[EventType]
