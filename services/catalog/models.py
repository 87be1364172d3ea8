"""Catalog's tables. Only this service reads or writes them."""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# The status vocabulary is part of catalog's event contract; the column stores the same values.
from contracts.catalog import ProductStatus as ProductStatus
from kit.db import TYPE_ANNOTATION_MAP, IdMixin, TenantMixin, TimestampMixin, new_metadata

# Money: exact decimals with two places, up to 9,999,999,999.99, in the company's currency.
MONEY = Numeric(12, 2)
DEFAULT_CURRENCY = "USD"


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Tenant(TenantMixin, TimestampMixin, Base):
    """A company as catalog knows it from identity's events, with the plan limit catalog enforces.

    Fields stay empty until the event that carries them arrives: events of one company may come in
    any order, so each part keeps the version of the entity it was taken from and takes only newer ones.
    """

    __tablename__ = "tenants"

    company_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str | None]
    slug: Mapped[str | None]
    # ISO 4217; every price of the company's catalog is in it (products store no currency of their own).
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY, server_default=DEFAULT_CURRENCY)
    # Whether storefront visitors who are not signed in see list prices.
    show_prices_to_guests: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    plan_code: Mapped[str | None]
    subscription_status: Mapped[str | None]
    trial_ends_at: Mapped[datetime | None]
    # Active SKUs the plan allows; None is unlimited.
    max_products: Mapped[int | None]
    # Versions of the company and of its subscription last applied (0: none yet); older events are ignored.
    company_version: Mapped[int] = mapped_column(default=0, server_default="0")
    subscription_version: Mapped[int] = mapped_column(default=0, server_default="0")


class Customer(TenantMixin, TimestampMixin, Base):
    """A company's customer as catalog knows it from identity's events: enough to check price overrides.

    A deleted customer stays as a tombstone (`deleted_at`, no email or name) at the version of its
    deletion, the highest it ever has: an older event about it arriving late cannot bring it back.
    """

    __tablename__ = "customers"

    # Identity's id: the read model never makes up its own.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    deleted_at: Mapped[datetime | None]
    # The customer's version in identity last applied; older events are ignored.
    version: Mapped[int] = mapped_column(default=0, server_default="0")


class Product(IdMixin, TimestampMixin, TenantMixin, Base):
    """A product the company sells, at its list price."""

    __tablename__ = "products"
    __table_args__ = (
        # Also serves every lookup by company, so company_id needs no index of its own.
        UniqueConstraint("company_id", "sku_key"),
        Index("ix_products_company_id_created_at_id", "company_id", "created_at", "id"),
        Index("ix_products_company_id_status_name_id", "company_id", "status", "name", "id"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column()
    # As entered (trimmed); `sku_key` is its lower-case form, so uniqueness ignores letter case everywhere.
    sku: Mapped[str] = mapped_column(String(64))
    sku_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    unit_of_sale: Mapped[str] = mapped_column(String(30))
    # Plain VARCHAR on every backend: adding a status later needs no type migration.
    status: Mapped[ProductStatus] = mapped_column(
        Enum(ProductStatus, name="product_status", native_enum=False, length=20, validate_strings=True)
    )
    category: Mapped[str | None] = mapped_column(String(100))
    image_url: Mapped[str | None] = mapped_column(String(2000))
    # 1 on create, +1 with each event raised about it (in the same transaction, the row locked).
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class PriceOverride(IdMixin, TimestampMixin, TenantMixin, Base):
    """One customer's own price for one product; every contact of the customer buys at it."""

    __tablename__ = "price_overrides"
    __table_args__ = (
        # Also serves lookups of one customer's prices.
        UniqueConstraint("customer_id", "product_id"),
        Index("ix_price_overrides_company_id_created_at_id", "company_id", "created_at", "id"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column()
    # The database removes a product's or a customer's overrides with it.
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    # 1 on create, +1 with each event raised about it (in the same transaction, the row locked).
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class ProductCounter(Base):
    """How many ACTIVE products the company has, kept with every change: maxProducts is checked against it
    without counting the catalog, so a create costs the same at 1,000 products as at 100,000.

    Its row lock serializes what changes the count (two creates cannot both slip under the limit), and its
    version orders the counts product events carry (`activeProductsVersion`).
    """

    __tablename__ = "product_counters"

    company_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    active_products: Mapped[int]
    version: Mapped[int]
