"""Order lines and status steps point at their order through foreign keys checked at commit, so a placement
writes them before it takes the company's order number and holds that number's lock for fewer statements.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, its foreign key to orders)
KEYS = (
    ("order_items", "fk_order_items_order_id_orders"),
    ("order_status_changes", "fk_order_status_changes_order_id_orders"),
)


def _recreate(*, deferred: bool) -> None:
    for table, key in KEYS:
        # SQLite cannot alter a constraint: batch mode copies the table with the new one.
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(key, type_="foreignkey")
            batch.create_foreign_key(
                key,
                "orders",
                ["order_id"],
                ["id"],
                ondelete="CASCADE",
                deferrable=True if deferred else None,
                initially="DEFERRED" if deferred else None,
            )


def upgrade() -> None:
    _recreate(deferred=True)


def downgrade() -> None:
    _recreate(deferred=False)
