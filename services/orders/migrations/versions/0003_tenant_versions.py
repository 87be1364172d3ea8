"""Tenant read model ordered by entity version: company_version and subscription_version replace the
occurredAt columns.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Rows kept from before start at version 0: the next event about them, whatever its version, applies.
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("company_version", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("subscription_version", sa.Integer(), server_default="0", nullable=False))
        batch.drop_column("company_updated_from_event_at")
        batch.drop_column("subscription_updated_from_event_at")


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("company_updated_from_event_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("subscription_updated_from_event_at", TIMESTAMP, nullable=True))
        batch.drop_column("subscription_version")
        batch.drop_column("company_version")
