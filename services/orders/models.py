"""Orders' tables. Only this service reads or writes them."""

import uuid
from datetime import datetime

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, TenantMixin, TimestampMixin, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Tenant(TenantMixin, TimestampMixin, Base):
    """A company as orders knows it from identity's events: its monthly order limit and trial end.

    Fields stay empty until the event that carries them arrives: events of one company may come in
    any order, and the entity versions they carry decide which is newest.
    """

    __tablename__ = "tenants"

    company_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str | None]
    slug: Mapped[str | None]
    plan_code: Mapped[str | None]
    # Identity's stored status (TRIALING, ACTIVE, PAST_DUE, CANCELED); a trial past its end is expired.
    subscription_status: Mapped[str | None]
    trial_ends_at: Mapped[datetime | None]
    # Orders a calendar month (UTC) the plan allows; None is unlimited.
    max_orders_per_month: Mapped[int | None]
    # Versions of the company and of its subscription (identity's entity versions) last applied: an event
    # not newer is ignored. 0 until the first event about it arrives.
    company_version: Mapped[int] = mapped_column(server_default="0")
    subscription_version: Mapped[int] = mapped_column(server_default="0")
