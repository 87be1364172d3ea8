"""Identity's tables: plans, companies and subscriptions, staff (users, memberships, invites), customers with
their contacts and addresses, API keys, usage and limit counters, and the tombstones of deleted companies.

Every entity identity publishes events about carries a `version`: 1 when created, +1 with each event
about it, in the transaction that changes it and with its row locked, so consumers order by it.

Rows a company can have without bound (customers, their contacts and addresses) have no foreign key to
`companies`: a deleted company's row goes at once, and these are purged after it in small batches
(`kit.purge`, see companies/deletion.py). The few rows a company holds of the others go with it.
"""

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import false

# The roles are part of the events' contract; re-exported for identity's own code.
from contracts.identity import ContactRole, StaffRole
from kit.db import TYPE_ANNOTATION_MAP, IdMixin, TenantMixin, TimestampMixin, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class VersionMixin:
    """An entity whose events consumers order: 1 on create, +1 per event about it (the row locked)."""

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


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


class Company(IdMixin, TimestampMixin, VersionMixin, Base):
    """The tenant root: everything else in Distribu belongs to one company."""

    __tablename__ = "companies"

    name: Mapped[str] = mapped_column(String(100))
    # The storefront address, /store/{slug}; always lower-case letters, digits and hyphens.
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    # ISO 4217: the currency of every price in the company's catalog.
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    # Whether visitors who have not signed in see prices on the storefront.
    show_prices_to_guests: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class User(IdMixin, TimestampMixin, VersionMixin, Base):
    """A person who signs in; global, linked to companies by memberships."""

    __tablename__ = "users"

    # As typed; unique whatever its case (the index after the class).
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))


# Emails are kept as typed, and unique whatever their case: unique indexes on lower(email), which PostgreSQL
# and SQLite both have. Lookups compare lower(email) too, so they use them; inserts name them as their
# conflict target.
USER_EMAIL_UNIQUE = Index("uq_users_email_key", func.lower(User.email), unique=True)


class Membership(IdMixin, TimestampMixin, TenantMixin, VersionMixin, Base):
    """A user's staff role in one company."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "company_id"),)

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    # The unique (user_id, company_id) constraint also serves lookups by user.
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(_string_enum(StaffRole, "staff_role"))


class Subscription(IdMixin, TimestampMixin, TenantMixin, VersionMixin, Base):
    """A company's plan and where it stands (trial, paid); one per company."""

    __tablename__ = "subscriptions"

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), unique=True)
    plan_code: Mapped[str] = mapped_column(ForeignKey("plans.code"))
    status: Mapped[SubscriptionStatus] = mapped_column(_string_enum(SubscriptionStatus, "subscription_status"))
    trial_ends_at: Mapped[datetime | None]


class BillingProfile(IdMixin, TimestampMixin, TenantMixin, VersionMixin, Base):
    """Who the company bills as (the seller on its invoices); set when it first chooses a plan, one per company."""

    __tablename__ = "billing_profiles"

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    # As typed, like users' emails.
    email: Mapped[str] = mapped_column(String(320))
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20))
    # ISO 3166-1 alpha-2, upper case.
    country: Mapped[str] = mapped_column(String(2))
    tax_id: Mapped[str | None] = mapped_column(String(50))


class UsageCounter(Base):
    """A company's usage of a limit that another service counts (active products; orders this month).

    A read model fed by that service's events: each carries the count after its change with the
    count's version, and only a newer version replaces it, so redelivered or late events never move
    it backwards.
    """

    __tablename__ = "usage_counters"

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    # The counting service's version of the count the value comes from.
    version: Mapped[int] = mapped_column(BigInteger)


class CompanyCounters(Base):
    """The counts identity's own limits are checked against, with the plan's limits, in one row per company.

    A create takes its seat with one conditional `UPDATE ... SET n = n + 1 WHERE n < limit`, in the
    create's transaction: no count(*) of the company's rows under a lock, so it costs the same at any
    size. A plan change writes its limits here (the row locked), so a create racing it sees them.
    `team_seats` is staff plus open invites; an open invite past its expiry still holds its seat here
    until a refusal recounts (`billing.service.take_team_seat`).
    """

    __tablename__ = "company_counters"

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    customers: Mapped[int] = mapped_column(Integer, default=0)
    team_seats: Mapped[int] = mapped_column(Integer, default=0)
    max_customers: Mapped[int | None] = mapped_column(Integer)
    max_team_members: Mapped[int | None] = mapped_column(Integer)


class CompanyTombstone(Base):
    """What identity keeps of a deleted company: that it existed, when it went and which user deleted it."""

    __tablename__ = "company_tombstones"

    # The deleted company's id.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    deleted_at: Mapped[datetime]
    deleted_by: Mapped[uuid.UUID]


class Invite(IdMixin, TimestampMixin, TenantMixin, VersionMixin, Base):
    """A pending invitation to join a company's staff; the link carries a token, only its hash is stored."""

    __tablename__ = "invites"

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    # As typed, like users' emails.
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[StaffRole] = mapped_column(_string_enum(StaffRole, "staff_role"))
    # SHA-256 (hex) of the link's token: the token itself is shown once, in the invite's answer.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Customer(IdMixin, TimestampMixin, TenantMixin, VersionMixin, Base):
    """A distributor's customer; its primary account signs in to the storefront with `email`."""

    __tablename__ = "customers"

    # No foreign key: a deleted company's customers are purged in batches after it (see the module's docstring).
    company_id: Mapped[uuid.UUID] = mapped_column()
    # As typed; unique per company whatever its case (the index after the class).
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(100))
    # The primary account's storefront password; NULL until set at /store/{slug}/setup-password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_set_at: Mapped[datetime | None]


CUSTOMER_EMAIL_UNIQUE = Index(
    "uq_customers_company_id_email_key", Customer.company_id, func.lower(Customer.email), unique=True
)


class CustomerContact(IdMixin, TimestampMixin, TenantMixin, VersionMixin, Base):
    """A person signing in for a customer, sharing its orders, addresses and prices, with their own role."""

    __tablename__ = "customer_contacts"

    company_id: Mapped[uuid.UUID] = mapped_column()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # As typed; unique per customer whatever its case (the indexes after the class).
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[ContactRole] = mapped_column(_string_enum(ContactRole, "contact_role"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_set_at: Mapped[datetime | None]


CONTACT_EMAIL_UNIQUE = Index(
    "uq_customer_contacts_customer_id_email_key",
    CustomerContact.customer_id,
    func.lower(CustomerContact.email),
    unique=True,
)
# Storefront sign-in and password setup look contacts up by email, in any case, across the company.
Index("ix_customer_contacts_company_id_email_key", CustomerContact.company_id, func.lower(CustomerContact.email))


class Address(IdMixin, TimestampMixin, TenantMixin, VersionMixin, Base):
    """A customer's shipping address; at most one per customer is the default."""

    __tablename__ = "addresses"

    company_id: Mapped[uuid.UUID] = mapped_column(index=True)
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


class ApiKey(IdMixin, TimestampMixin, TenantMixin, VersionMixin, Base):
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
