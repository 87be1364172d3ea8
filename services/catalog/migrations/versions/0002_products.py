"""Products, per-customer price overrides, the customer read model, and the tenant's currency and guest prices.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=12, scale=2)


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("currency", sa.String(length=3), server_default="USD", nullable=False))
        batch.add_column(sa.Column("show_prices_to_guests", sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.Column("updated_from_event_at", TIMESTAMP, nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index(op.f("ix_customers_company_id"), "customers", ["company_id"])

    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("sku_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("unit_of_sale", sa.String(length=30), nullable=False),
        sa.Column(
            "status",
            sa.Enum("ACTIVE", "ARCHIVED", name="product_status", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("image_url", sa.String(length=2000), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("company_id", "sku_key", name=op.f("uq_products_company_id")),
    )
    op.create_index("ix_products_company_id_created_at_id", "products", ["company_id", "created_at", "id"])
    op.create_index("ix_products_company_id_status_name_id", "products", ["company_id", "status", "name", "id"])

    op.create_table(
        "price_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_overrides")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_price_overrides_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_price_overrides_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("customer_id", "product_id", name=op.f("uq_price_overrides_customer_id")),
    )
    op.create_index(
        "ix_price_overrides_company_id_created_at_id", "price_overrides", ["company_id", "created_at", "id"]
    )
    op.create_index(op.f("ix_price_overrides_product_id"), "price_overrides", ["product_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_price_overrides_product_id"), table_name="price_overrides")
    op.drop_index("ix_price_overrides_company_id_created_at_id", table_name="price_overrides")
    op.drop_table("price_overrides")
    op.drop_index("ix_products_company_id_status_name_id", table_name="products")
    op.drop_index("ix_products_company_id_created_at_id", table_name="products")
    op.drop_table("products")
    op.drop_index(op.f("ix_customers_company_id"), table_name="customers")
    op.drop_table("customers")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("show_prices_to_guests")
        batch.drop_column("currency")
