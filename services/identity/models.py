"""Identity's tables: plans, companies and their subscriptions, users and memberships, usage counters."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, IdMixin, TenantMixin, TimestampMixin, new_metadata, utcnow


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class StaffRole(enum.StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class SubscriptionStatus(enum.StrEnum):
    TRIALING = "TRIALING"
    ACTIVE = "ACTIVE"
    PAST_DUE = "PAST_DUE"
    CANCELED = "CANCELED"


def _string_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    # Stored as plain VARCHAR on every backend: adding a value later needs no type migration.
    return Enum(enum_class, name=name, native_enum=False, length=20, validate_strings=True)


class Plan(Base):
    """A plan's price and its four limits; NULL means unlimited. Seeded by the migrations."""

    __tablename__ = "plans"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Whole cents, so SQLite and PostgreSQL agree exactly; the API shows a decimal string.
    monthly_price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    sort_order: Mapped[int] = mapped_column(Integer)
    max_products: Mapped[int | None] = mapped_column(Integer)
    max_team_members: Mapped[int | None] = mapped_column(Integer)
    max_customers: Mapped[int | None] = mapped_column(Integer)
    max_orders_per_month: Mapped[int | None] = mapped_column(Integer)


class Company(IdMixin, TimestampMixin, Base):
    """The tenant root: everything else in Distribu belongs to one company."""

    __tablename__ = "companies"

    name: Mapped[str] = mapped_column(String(100))
    # The storefront address, /store/{slug}; always lower-case letters, digits and hyphens.
    slug: Mapped[str] = mapped_column(String(50), unique=True)


class User(IdMixin, TimestampMixin, Base):
    """A person who signs in; global, linked to companies by memberships."""

    __tablename__ = "users"

    # Stored lower-cased, so the unique constraint is case-insensitive on every backend.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))


class Membership(IdMixin, TimestampMixin, TenantMixin, Base):
    """A user's staff role in one company."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "company_id"),)

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    # The unique (user_id, company_id) constraint also serves lookups by user.
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(_string_enum(StaffRole, "staff_role"))


class Subscription(IdMixin, TimestampMixin, TenantMixin, Base):
    """A company's plan and where it stands (trial, paid); one per company."""

    __tablename__ = "subscriptions"

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), unique=True)
    plan_code: Mapped[str] = mapped_column(ForeignKey("plans.code"))
    status: Mapped[SubscriptionStatus] = mapped_column(_string_enum(SubscriptionStatus, "subscription_status"))
    trial_ends_at: Mapped[datetime | None]


class UsageCounter(IdMixin, TenantMixin, Base):
    """A company's usage of a limit that another service counts (products, orders this month).

    A read model: events from catalog and orders will keep it current. Until those events exist
    no rows are written and usage reads as zero.
    """

    __tablename__ = "usage_counters"
    __table_args__ = (UniqueConstraint("company_id", "metric"),)

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(50))
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
