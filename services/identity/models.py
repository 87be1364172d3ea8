"""Identity's tables: plans, companies and subscriptions, staff (users, memberships, invites), customers with
their contacts and addresses, API keys, usage counters."""

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import false

from kit.db import TYPE_ANNOTATION_MAP, IdMixin, TenantMixin, TimestampMixin, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class StaffRole(enum.StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class ContactRole(enum.StrEnum):
    """What a customer's person may do on the storefront; the primary customer account acts as ADMIN."""

    ADMIN = "ADMIN"
    BUYER = "BUYER"
    VIEWER = "VIEWER"


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
    # ISO 4217: the currency of every price in the company's catalog.
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    # Whether visitors who have not signed in see prices on the storefront.
    show_prices_to_guests: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


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
    """A company's usage of a limit that another service counts (active products; orders this month).

    A read model fed by that service's events: each carries the count after its change, and the
    newest event wins, so redelivered or late events never move it backwards.
    """

    __tablename__ = "usage_counters"
    __table_args__ = (UniqueConstraint("company_id", "metric"),)

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(50))
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    # occurredAt of the event the value comes from.
    updated_at: Mapped[datetime]


class Invite(IdMixin, TimestampMixin, TenantMixin, Base):
    """A pending invitation to join a company's staff; the link carries a token, only its hash is stored."""

    __tablename__ = "invites"

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    # Lower-cased, like users' emails.
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[StaffRole] = mapped_column(_string_enum(StaffRole, "staff_role"))
    # SHA-256 (hex) of the link's token: the token itself is shown once, in the invite's answer.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Customer(IdMixin, TimestampMixin, TenantMixin, Base):
    """A distributor's customer; its primary account signs in to the storefront with `email`."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("company_id", "email"),)

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # Lower-cased, so uniqueness per company is case-insensitive on every backend.
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(100))
    # The primary account's storefront password; NULL until set at /store/{slug}/setup-password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_set_at: Mapped[datetime | None]


class CustomerContact(IdMixin, TimestampMixin, TenantMixin, Base):
    """A person signing in for a customer, sharing its orders, addresses and prices, with their own role."""

    __tablename__ = "customer_contacts"
    __table_args__ = (
        UniqueConstraint("customer_id", "email"),
        # Storefront sign-in and password setup look contacts up by email across the company.
        Index("ix_customer_contacts_company_id_email", "company_id", "email"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[ContactRole] = mapped_column(_string_enum(ContactRole, "contact_role"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_set_at: Mapped[datetime | None]


class Address(IdMixin, TimestampMixin, TenantMixin, Base):
    """A customer's shipping address; at most one per customer is the default."""

    __tablename__ = "addresses"

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    label: Mapped[str | None] = mapped_column(String(100))
    recipient: Mapped[str | None] = mapped_column(String(100))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20))
    # ISO 3166-1 alpha-2, upper case.
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(40))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiKey(IdMixin, TimestampMixin, TenantMixin, Base):
    """An integrator's key: its secret is shown once; only a SHA-256 of it is kept."""

    __tablename__ = "api_keys"

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The secret's first characters, shown in lists so people can tell their keys apart.
    prefix: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
