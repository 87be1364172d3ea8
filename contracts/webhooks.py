"""The events webhooks publishes about webhook endpoints (entity type `Webhook`), and `WebhookTest`.

None carries a signing secret: secrets do not travel in events. `WebhookTest` is the one event that is
never published on the bus: the Test button records it as a delivery to the endpoint tested, and only there.
"""

import uuid
from datetime import datetime
from typing import Any, ClassVar

from kit.events import Event

WEBHOOK_ENTITY = "Webhook"


class WebhookCreated(Event):
    event_type: ClassVar[str] = "WebhookCreated"

    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    enabled: bool


class WebhookUpdated(Event):
    """The URL, event types or description changed: `changes` holds each changed field's new value.

    Enabling and disabling have their own events."""

    event_type: ClassVar[str] = "WebhookUpdated"

    id: uuid.UUID
    url: str
    changes: dict[str, Any]


class WebhookDeleted(Event):
    """Its deliveries and their attempts went with it."""

    event_type: ClassVar[str] = "WebhookDeleted"

    id: uuid.UUID
    url: str


class WebhookSecretRotated(Event):
    """A new signing secret; the previous one still signs, beside it, until `previousSecretExpiresAt`."""

    event_type: ClassVar[str] = "WebhookSecretRotated"

    id: uuid.UUID
    previous_secret_expires_at: datetime


class WebhookDisabled(Event):
    """By a user (`automatic` false), or by the sender: a 410 answer, or every attempt failing for days."""

    event_type: ClassVar[str] = "WebhookDisabled"

    id: uuid.UUID
    url: str
    reason: str
    automatic: bool


class WebhookEnabled(Event):
    """Enabled again: its pending deliveries resume."""

    event_type: ClassVar[str] = "WebhookEnabled"

    id: uuid.UUID
    url: str


class WebhookTest(Event):
    """Sent by the Test button to the one endpoint tested; never published on the bus."""

    event_type: ClassVar[str] = "WebhookTest"

    webhook_id: uuid.UUID
    message: str


# What webhooks publishes (WebhookTest is not published).
EVENTS: tuple[type[Event], ...] = (
    WebhookCreated,
    WebhookUpdated,
    WebhookDeleted,
    WebhookSecretRotated,
    WebhookDisabled,
    WebhookEnabled,
)
