"""Tenants keep the company's billing profile (identity's BillingProfileChanged), the seller its invoices name,
with the version of the newest profile applied.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Tenants kept from before start without a profile, at version 0: the first profile event applies.
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("billing_profile", JSON, nullable=True))
        batch.add_column(sa.Column("billing_profile_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("billing_profile_version")
        batch.drop_column("billing_profile")
