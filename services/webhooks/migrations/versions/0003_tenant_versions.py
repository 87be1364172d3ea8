"""Tenant read model ordered by entity version: company_version replaces updated_from_event_at.

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
    # Rows kept from before get version 0: the next event about them, whatever its version, applies.
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("company_version", sa.Integer(), server_default="0", nullable=False))
        batch.drop_column("updated_from_event_at")
    with op.batch_alter_table("tenants") as batch:
        # The default only filled the existing rows; the consumer always writes the version.
        batch.alter_column("company_version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        # Rows kept get the time of the downgrade: the next event, if older, is ignored (the old rule).
        batch.add_column(
            sa.Column("updated_from_event_at", TIMESTAMP, server_default=sa.func.current_timestamp(), nullable=False)
        )
        batch.drop_column("company_version")
    with op.batch_alter_table("tenants") as batch:
        batch.alter_column("updated_from_event_at", server_default=None)
