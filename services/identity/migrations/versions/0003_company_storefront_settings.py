"""Company settings the storefront needs: the catalog's currency and whether guests see prices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(sa.Column("currency", sa.String(length=3), server_default="USD", nullable=False))
        batch.add_column(sa.Column("show_prices_to_guests", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("show_prices_to_guests")
        batch.drop_column("currency")
