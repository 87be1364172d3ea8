"""Orders' tables. Only this service reads or writes them.

Two kinds: the read models orders prices and accepts an order from (a copy of catalog's products and
price overrides and of identity's customers, contacts, addresses, people and company, each row at the
version of the newest event applied), and orders' own records (orders, their lines and status history,
per-company counters, carts), and the documents of orders and customers with their bytes.
"""

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# The status and document kind vocabularies are part of orders' event contracts; the columns store the same values.
from contracts.documents import DocumentKind
from contracts.orders import OrderStatus
from kit.db import TYPE_ANNOTATION_MAP, IdMixin, TenantMixin, TimestampMixin, new_metadata

# Money: exact decimals with two places, as catalog stores them.
MONEY = Numeric(12, 2)
# An order's totals: up to 500 lines of up to 1,000,000 units each.
TOTAL = Numeric(20, 2)
# Lines and status steps are written before their order row (see OrderRepository.insert_lines).
CHECKED_AT_COMMIT: dict[str, Any] = {"deferrable": True, "initially": "DEFERRED"}


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


def _string_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    # Plain VARCHAR on every backend: adding a value later needs no type migration.
    return Enum(enum_class, name=name, native_enum=False, length=20, validate_strings=True)


class Tenant(TenantMixin, TimestampMixin, Base):
    """A company as orders knows it from identity's events: its monthly order limit and trial end, and whom it
    bills as (the seller its invoices name).

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
    trial_ends_at: Mapped[dt.datetime | None]
    # Orders a calendar month (UTC) the plan allows; None is unlimited.
    max_orders_per_month: Mapped[int | None]
    # The company's billing profile as identity's BillingProfileChanged carries it (legalName, email, addressLine1,
    # addressLine2, city, region, postalCode, country, taxId); None until the company first chooses a plan.
    billing_profile: Mapped[dict[str, Any] | None]
    # Versions of the company, of its subscription and of its billing profile (identity's entity versions) last
    # applied: an event not newer is ignored. 0 until the first event about it arrives.
    company_version: Mapped[int] = mapped_column(server_default="0")
    subscription_version: Mapped[int] = mapped_column(server_default="0")
    billing_profile_version: Mapped[int] = mapped_column(server_default="0")


# -- read models ------------------------------------------------------------------------------------
# Each row carries the id of the entity in the service that owns it and the version of the newest event
# applied; a deleted entity stays as a tombstone (`deleted_at`) at its deletion's version, the highest it
# ever has, so an older event arriving late cannot bring it back.


class Product(TenantMixin, Base):
    """A product of catalog's, as its newest event left it: what an order line copies."""

    __tablename__ = "products"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    unit_price: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(3))
    unit_of_sale: Mapped[str | None] = mapped_column(String(30))
    # ACTIVE or ARCHIVED (catalog's ProductStatus); only ACTIVE products are ordered.
    status: Mapped[str | None] = mapped_column(String(20))
    deleted_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(server_default="0")
    updated_at: Mapped[dt.datetime]


class PriceOverride(TenantMixin, Base):
    """One customer's own price for one product (catalog's), as its newest event left it."""

    __tablename__ = "price_overrides"
    __table_args__ = (Index("ix_price_overrides_customer_id_product_id", "customer_id", "product_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    unit_price: Mapped[Decimal | None] = mapped_column(MONEY)
    deleted_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(server_default="0")
    updated_at: Mapped[dt.datetime]


class Customer(TenantMixin, Base):
    """A customer of identity's: whom an order is for, by name."""

    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    deleted_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(server_default="0")
    updated_at: Mapped[dt.datetime]


class Address(TenantMixin, Base):
    """A customer's address (identity's), copied onto an order when it is placed."""

    __tablename__ = "addresses"
    __table_args__ = (Index("ix_addresses_customer_id", "customer_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID]
    # The whole address as the API shows it (label, recipient, line1, line2, city, region, postalCode,
    # country, phone, isDefault); None once deleted.
    fields: Mapped[dict[str, Any] | None]
    deleted_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(server_default="0")
    updated_at: Mapped[dt.datetime]


class PersonKind(enum.StrEnum):
    USER = "USER"
    CUSTOMER = "CUSTOMER"
    CONTACT = "CONTACT"
    API_KEY = "API_KEY"


class Person(TenantMixin, Base):
    """Someone who can act on orders, by name: staff users, customers' accounts and contacts, API keys.

    Orders records who placed an order and who moved it, with the name they had then.
    """

    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # Indexed too: the key leads with the id, and a purge finds the company's rows by company.
    company_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    kind: Mapped[PersonKind] = mapped_column(_string_enum(PersonKind, "person_kind"))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    # The customer a contact belongs to.
    customer_id: Mapped[uuid.UUID | None]
    deleted_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(server_default="0")
    updated_at: Mapped[dt.datetime]


# -- orders' own records ----------------------------------------------------------------------------


class OrderCounter(Base):
    """Per company: the last order number given and this month's orders.

    One conditional UPDATE of this row numbers an order and takes a slot of `maxOrdersPerMonth`; its row
    lock serializes placements of one company, so numbers have no gaps or duplicates (a rolled-back
    placement gives its number back) and two placements never both take the month's last slot.
    """

    __tablename__ = "order_counters"

    company_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(server_default="0")
    # The first day (UTC) of the month `month_orders` counts.
    month: Mapped[dt.date] = mapped_column(Date)
    month_orders: Mapped[int] = mapped_column(server_default="0")


class Order(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        Index("ix_orders_company_id_created_at_id", "company_id", "created_at", "id"),
        Index("ix_orders_company_id_customer_id_created_at", "company_id", "customer_id", "created_at"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column()
    # 1, 2, 3… per company; shown as SO-000001.
    number: Mapped[int]
    status: Mapped[OrderStatus] = mapped_column(_string_enum(OrderStatus, "order_status"))
    # None for an internal order.
    customer_id: Mapped[uuid.UUID | None]
    customer_name: Mapped[str | None] = mapped_column(String(200))
    # USER, CUSTOMER or SYSTEM (an API key), its id and name at placement.
    placed_by_type: Mapped[str] = mapped_column(String(20))
    placed_by_id: Mapped[uuid.UUID | None]
    placed_by_name: Mapped[str | None] = mapped_column(String(200))
    # Staff ordering for a customer: the customer (and contact) it was placed for.
    on_behalf_of_customer_id: Mapped[uuid.UUID | None]
    on_behalf_of_contact_id: Mapped[uuid.UUID | None]
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(TOTAL)
    total: Mapped[Decimal] = mapped_column(TOTAL)
    # The address copied at placement (the API's fields); never follows later edits of the customer's.
    shipping_address: Mapped[dict[str, Any] | None]
    po_number: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    requested_delivery_date: Mapped[dt.date | None] = mapped_column(Date)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # 1 on placement, +1 with each event raised about it (in the same transaction, the row locked).
    version: Mapped[int] = mapped_column(server_default="1")


class OrderItem(IdMixin, TenantMixin, Base):
    __tablename__ = "order_items"
    __table_args__ = (UniqueConstraint("order_id", "product_id"),)

    company_id: Mapped[uuid.UUID] = mapped_column(index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE", **CHECKED_AT_COMMIT))
    # The line's place in the order, from 0.
    position: Mapped[int]
    product_id: Mapped[uuid.UUID]
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_of_sale: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    list_price: Mapped[Decimal] = mapped_column(MONEY)
    line_total: Mapped[Decimal] = mapped_column(TOTAL)


class OrderStatusChange(IdMixin, TenantMixin, Base):
    """One step of an order's status history: placement (PENDING) included."""

    __tablename__ = "order_status_changes"
    __table_args__ = (Index("ix_order_status_changes_order_id_at", "order_id", "at"),)

    company_id: Mapped[uuid.UUID] = mapped_column(index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE", **CHECKED_AT_COMMIT))
    status: Mapped[OrderStatus] = mapped_column(_string_enum(OrderStatus, "order_status"))
    at: Mapped[dt.datetime]
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str | None] = mapped_column(String(200))
    # A cancellation's reason.
    reason: Mapped[str | None] = mapped_column(String(500))


class CartItem(TenantMixin, Base):
    """A line of a storefront account's cart (the customer's own account or one contact's), kept server-side."""

    __tablename__ = "cart_items"

    # The customer or contact whose cart it is.
    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID]
    quantity: Mapped[int]
    # The unit price the line was quoted at when last put in the cart: checkout names the lines whose price
    # has moved since.
    quoted_price: Mapped[Decimal | None] = mapped_column(MONEY)
    added_at: Mapped[dt.datetime]


# -- documents ------------------------------------------------------------------------------------------


class DocumentCounter(Base):
    """Per company: the last invoice number given.

    One upsert numbers an invoice in the confirming transaction; its row lock serializes the company's
    confirmations until commit, so numbers have no gaps or duplicates (a rolled-back one gives its number back).
    """

    __tablename__ = "document_counters"

    company_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_invoice_number: Mapped[int] = mapped_column(server_default="0")


class Document(IdMixin, TenantMixin, Base):
    """An order's invoice or packing list, or a file of a customer's vault; its bytes are `DocumentChunk`s."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("company_id", "kind", "number"),
        # One invoice and one packing list per order; vault files have no order (NULLs never collide).
        UniqueConstraint("order_id", "kind"),
        Index("ix_documents_company_id_customer_id_created_at", "company_id", "customer_id", "created_at"),
        Index("ix_documents_company_id_expires_at", "company_id", "expires_at"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[DocumentKind] = mapped_column(_string_enum(DocumentKind, "document_kind"))
    # 1, 2, 3… per company for invoices (shown as INV-000001); None otherwise.
    number: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(255))
    # The type found in the bytes, never the one the uploader named.
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # The customer it belongs to: a vault's, or the order's (None for an internal order's packing list).
    customer_id: Mapped[uuid.UUID | None]
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    # A vault file's end of validity (a tax-exemption certificate's), if it has one.
    expires_at: Mapped[dt.date | None] = mapped_column(Date)
    # An invoice's or packing list's data exactly as rendered: a void copy renders the same, whatever changed since.
    content: Mapped[dict[str, Any] | None]
    voided_at: Mapped[dt.datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(500))
    # The VOID copy of a voided invoice (chunks of copy 1).
    void_copy_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    void_copy_sha256: Mapped[str | None] = mapped_column(String(64))
    # 1 when issued or uploaded, +1 with each later event about it.
    version: Mapped[int] = mapped_column(server_default="1")
    created_at: Mapped[dt.datetime]
    # USER, CUSTOMER or SYSTEM (an API key), its id and name then: who confirmed, shipped or uploaded.
    created_by_type: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[uuid.UUID | None]
    created_by_name: Mapped[str | None] = mapped_column(String(200))


class DocumentChunk(TenantMixin, Base):
    """A slice of a document's bytes (`CHUNK_BYTES` each, the last shorter), written and read one at a time."""

    __tablename__ = "document_chunks"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    # 0: the document as issued or uploaded; 1: a voided invoice's VOID copy.
    copy: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
