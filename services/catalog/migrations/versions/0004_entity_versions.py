"""Entity versions: products and price overrides count their changes; the read models keep the versions
they applied instead of event times; each company's ACTIVE products are kept in a counter row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Rows that exist are at version 1: their next event carries 2.
    for table in ("products", "price_overrides"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    # Version 0: the next event of identity, whatever its version, is newer than what is stored.
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("company_version", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("subscription_version", sa.Integer(), server_default="0", nullable=False))
        batch.drop_column("company_updated_from_event_at")
        batch.drop_column("subscription_updated_from_event_at")
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
        batch.drop_column("updated_from_event_at")

    op.create_table(
        "product_counters",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("active_products", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_product_counters")),
    )
    # Counted once here, so no request ever has to count a catalog.
    op.execute(
        "INSERT INTO product_counters (company_id, active_products, version) "
        "SELECT tenants.company_id, "
        "(SELECT count(*) FROM products WHERE products.company_id = tenants.company_id "
        "AND products.status = 'ACTIVE'), 0 "
        "FROM tenants"
    )


def downgrade() -> None:
    op.drop_table("product_counters")
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("updated_from_event_at", TIMESTAMP, nullable=True))
        batch.drop_column("version")
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("subscription_updated_from_event_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("company_updated_from_event_at", TIMESTAMP, nullable=True))
        batch.drop_column("subscription_version")
        batch.drop_column("company_version")
    for table in ("price_overrides", "products"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
