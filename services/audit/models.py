"""Audit's tables: one append-only row per domain event that belongs to a company."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, IdMixin, TenantMixin, new_metadata

ACTOR_TYPES = ("USER", "CUSTOMER", "SYSTEM")


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class AuditLog(IdMixin, TenantMixin, Base):
    """What happened (action = event type), to what, by whom, from where and when (the event's occurredAt).

    Append-only: on PostgreSQL triggers refuse UPDATE and TRUNCATE, and DELETE except of the company that
    kit.purge is purging in that transaction (see the 0003 migration).
    """

    __tablename__ = "audit_logs"
    __table_args__ = (
        # Newest-first keyset pages of one company.
        Index("ix_audit_logs_company_id_created_at_id", "company_id", "created_at", "id"),
        CheckConstraint("actor_type IN ('USER', 'CUSTOMER', 'SYSTEM')", name="actor_type"),
    )

    # The event this row records; unique, so a redelivered event can never add a second row.
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    action: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(200))
    entity_id: Mapped[str] = mapped_column(Text())
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    ip_address: Mapped[str | None] = mapped_column(Text())
    request_id: Mapped[str | None] = mapped_column(Text())
    # `metadata` is taken by SQLAlchemy's declarative base, hence the trailing underscore.
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata")
    created_at: Mapped[datetime]
