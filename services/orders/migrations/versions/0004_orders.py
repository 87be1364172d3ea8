"""Orders: read models of catalog's products and price overrides and of identity's customers, addresses and
people; per-company order counters, orders with their lines and status history, and storefront carts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=12, scale=2)
TOTAL = sa.Numeric(precision=20, scale=2)
ORDER_STATUS = sa.Enum(
    "PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED", name="order_status", native_enum=False, length=20
)
PERSON_KIND = sa.Enum("USER", "CUSTOMER", "CONTACT", "API_KEY", name="person_kind", native_enum=False, length=20)


def _read_model_columns() -> list[sa.Column[object]]:
    """The columns every read model row ends with: its tombstone, the version applied, when, its company."""
    return [
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def upgrade() -> None:
    _create_read_models()
    _create_orders()


def _create_read_models() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("unit_price", MONEY, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("unit_of_sale", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        *_read_model_columns(),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    op.create_index(op.f("ix_products_company_id"), "products", ["company_id"])
    op.create_table(
        "price_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("unit_price", MONEY, nullable=True),
        *_read_model_columns(),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_overrides")),
    )
    op.create_index(op.f("ix_price_overrides_company_id"), "price_overrides", ["company_id"])
    op.create_index("ix_price_overrides_customer_id_product_id", "price_overrides", ["customer_id", "product_id"])
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        *_read_model_columns(),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index(op.f("ix_customers_company_id"), "customers", ["company_id"])
    op.create_table(
        "addresses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("fields", JSON, nullable=True),
        *_read_model_columns(),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_index(op.f("ix_addresses_company_id"), "addresses", ["company_id"])
    op.create_index("ix_addresses_customer_id", "addresses", ["customer_id"])
    op.create_table(
        "people",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("kind", PERSON_KIND, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        *_read_model_columns(),
        sa.PrimaryKeyConstraint("id", "company_id", name=op.f("pk_people")),
    )
    op.create_index(op.f("ix_people_company_id"), "people", ["company_id"])


def _create_orders() -> None:
    op.create_table(
        "order_counters",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("last_number", sa.Integer(), server_default="0", nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("month_orders", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_order_counters")),
    )
    op.create_table(
        "orders",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", ORDER_STATUS, nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=True),
        sa.Column("placed_by_type", sa.String(length=20), nullable=False),
        sa.Column("placed_by_id", sa.Uuid(), nullable=True),
        sa.Column("placed_by_name", sa.String(length=200), nullable=True),
        sa.Column("on_behalf_of_customer_id", sa.Uuid(), nullable=True),
        sa.Column("on_behalf_of_contact_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", TOTAL, nullable=False),
        sa.Column("total", TOTAL, nullable=False),
        sa.Column("shipping_address", JSON, nullable=True),
        sa.Column("po_number", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("requested_delivery_date", sa.Date(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_orders_company_id")),
    )
    op.create_index("ix_orders_company_id_created_at_id", "orders", ["company_id", "created_at", "id"])
    op.create_index(
        "ix_orders_company_id_customer_id_created_at", "orders", ["company_id", "customer_id", "created_at"]
    )
    op.create_table(
        "order_items",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_of_sale", sa.String(length=30), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("list_price", MONEY, nullable=False),
        sa.Column("line_total", TOTAL, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
        sa.UniqueConstraint("order_id", "product_id", name=op.f("uq_order_items_order_id")),
    )
    # The purge deletes a company's lines and history before its orders, by company.
    op.create_index(op.f("ix_order_items_company_id"), "order_items", ["company_id"])
    op.create_table(
        "order_status_changes",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("status", ORDER_STATUS, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor_type", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_status_changes_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_status_changes")),
    )
    op.create_index(op.f("ix_order_status_changes_company_id"), "order_status_changes", ["company_id"])
    op.create_index("ix_order_status_changes_order_id_at", "order_status_changes", ["order_id", "at"])
    op.create_table(
        "cart_items",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quoted_price", sa.Numeric(12, 2), nullable=True),
        sa.Column("added_at", TIMESTAMP, nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "product_id", name=op.f("pk_cart_items")),
    )
    op.create_index(op.f("ix_cart_items_company_id"), "cart_items", ["company_id"])


def downgrade() -> None:
    op.drop_table("cart_items")
    op.drop_table("order_status_changes")
    op.drop_table("order_items")
    op.drop_table("orders")
    op.drop_table("order_counters")
    for table in ("people", "addresses", "customers", "price_overrides", "products"):
        op.drop_table(table)
