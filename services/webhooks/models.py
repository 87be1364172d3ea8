"""Webhooks' tables. Only this service reads or writes them."""

import uuid

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, TenantMixin, TimestampMixin, new_metadata


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
