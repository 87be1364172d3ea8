"""The event backbone: the outbox's company, relay index and NOTIFY trigger; processed records' company and
age indexes; pending company purges; recorded queue bindings (kit.migrations).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from kit.migrations import downgrade_event_tables, upgrade_event_tables

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_event_tables()


def downgrade() -> None:
    downgrade_event_tables()
