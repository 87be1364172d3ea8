"""Webhooks' tables. Only this service reads or writes them.

The company's webhook endpoints; a delivery per (event, endpoint), written when the event is consumed and
carrying the retry schedule (the sender reads it from here, so it survives restarts); an attempt per try.
"""

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, IdMixin, JSONType, TenantMixin, TimestampMixin, new_metadata, utcnow


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Tenant(TenantMixin, TimestampMixin, Base):
    """A company as webhooks knows it from identity's events; no plan limit applies to webhooks."""

    __tablename__ = "tenants"

    company_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str]
    slug: Mapped[str]
    # The company's version (identity's entity version) last applied: an event not newer is ignored.
    company_version: Mapped[int]


class WebhookEndpoint(IdMixin, TenantMixin, TimestampMixin, Base):
    """Where a company wants its events sent, which ones, and the secrets that sign them."""

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2000))
    # Event type names, or ["*"] for every type.
    event_types: Mapped[list[str]] = mapped_column(JSONType)
    description: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None]
    # Disabled by the sender (a 410, or every attempt failing for the window), not by a person: the dashboard's
    # banner names these.
    disabled_automatically: Mapped[bool] = mapped_column(default=False)
    # The signing secrets (`whsec_` + base64 of random bytes), sealed (services.webhooks.sealing): never stored as
    # they sign. After a rotation the previous one signs too, until it expires.
    sealed_secret: Mapped[str] = mapped_column(String(400))
    sealed_previous_secret: Mapped[str | None] = mapped_column(String(400))
    previous_secret_expires_at: Mapped[datetime | None]
    # The first failed attempt since the last success: the endpoint is disabled once it is old enough.
    failing_since: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)


class DeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class WebhookDelivery(IdMixin, TenantMixin, Base):
    """One event for one endpoint: the exact body sent, its outcome and when it is next tried."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # Exactly one per (event, endpoint), however often the event arrives and however many consumers race.
        UniqueConstraint("endpoint_id", "event_id"),
        # The sender's scan of what is due.
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # An endpoint's deliveries, newest first.
        Index("ix_webhook_deliveries_company_id_endpoint_id_created_at", "company_id", "endpoint_id", "created_at"),
        # Retention prunes by age.
        Index("ix_webhook_deliveries_created_at", "created_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(200))
    # Exactly the JSON sent: {type, timestamp, data: <the whole event envelope>}.
    body: Mapped[dict[str, Any]]
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, name="delivery_status", native_enum=False, length=20, validate_strings=True)
    )
    attempt_count: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    # A sender holds it until then while it sends; another sender takes it only after.
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class WebhookAttempt(IdMixin, TenantMixin, Base):
    """One try of a delivery: what was sent (headers) and what came back, or why nothing did."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery_id_at", "delivery_id", "at"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int]
    request_headers: Mapped[dict[str, Any]]
    # The first 4 KB of the response body.
    response_body: Mapped[str] = mapped_column(Text, default="")
