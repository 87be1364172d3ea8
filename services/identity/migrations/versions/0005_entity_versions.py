"""Entity versions, limit counters, usage by version, company tombstones, and customers purged apart.

Every entity identity publishes gets `version` (existing rows start at 1). `company_counters` holds the
counts identity's limits are checked against, with the plan's limits, backfilled from the rows (open
invites counted whether expired or not: a refusal recounts). `usage_counters` is keyed by company and
metric and keeps the counting service's version (0 for the values taken before, so any new event wins).
Customers, contacts and addresses lose their foreign key to `companies`: a deleted company's are purged
in batches after it. `company_tombstones` records deleted companies.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import contextlib
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

import kit.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = (
    "companies",
    "users",
    "memberships",
    "subscriptions",
    "invites",
    "customers",
    "customer_contacts",
    "addresses",
    "api_keys",
)
PURGED_APART = ("customers", "customer_contacts", "addresses")
CHILDREN_OF_CUSTOMERS = ("customer_contacts", "addresses")

_COUNTERS_BACKFILL = """
INSERT INTO company_counters (company_id, customers, team_seats, max_customers, max_team_members)
SELECT c.id,
       (SELECT count(*) FROM customers WHERE customers.company_id = c.id),
       (SELECT count(*) FROM memberships WHERE memberships.company_id = c.id)
       + (SELECT count(*) FROM invites
          WHERE invites.company_id = c.id AND invites.accepted_at IS NULL AND invites.revoked_at IS NULL),
       p.max_customers,
       p.max_team_members
FROM companies c
LEFT JOIN subscriptions s ON s.company_id = c.id
LEFT JOIN plans p ON p.code = s.plan_code
"""


def upgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with _children_of_customers_kept():
        for table in PURGED_APART:
            with op.batch_alter_table(table) as batch:
                batch.drop_constraint(f"fk_{table}_company_id_companies", type_="foreignkey")

    op.create_table(
        "company_counters",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("team_seats", sa.Integer(), nullable=False),
        sa.Column("max_customers", sa.Integer(), nullable=True),
        sa.Column("max_team_members", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_company_counters_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_company_counters")),
    )
    op.execute(_COUNTERS_BACKFILL)

    op.create_table(
        "company_tombstones",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("deleted_at", kit.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_by", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_tombstones")),
    )

    usage = _read("SELECT company_id, metric, value FROM usage_counters")
    op.drop_table("usage_counters")
    usage_counters = op.create_table(
        "usage_counters",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("metric", sa.String(length=50), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_usage_counters_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("company_id", "metric", name=op.f("pk_usage_counters")),
    )
    if usage:
        op.bulk_insert(usage_counters, [{**row, "version": 0} for row in usage])


def downgrade() -> None:
    usage = _read("SELECT company_id, metric, value FROM usage_counters")
    op.drop_table("usage_counters")
    usage_counters = op.create_table(
        "usage_counters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("metric", sa.String(length=50), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", kit.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_usage_counters_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_counters")),
        sa.UniqueConstraint("company_id", "metric", name=op.f("uq_usage_counters_company_id")),
    )
    op.create_index(op.f("ix_usage_counters_company_id"), "usage_counters", ["company_id"])
    if usage:
        now = kit.db.utcnow()
        op.bulk_insert(usage_counters, [{**row, "id": kit.db.new_id(), "updated_at": now} for row in usage])

    op.drop_table("company_tombstones")
    op.drop_table("company_counters")
    for table in PURGED_APART:
        # Rows of companies deleted meanwhile would break the restored foreign key: they go first.
        op.execute(f"DELETE FROM {table} WHERE company_id NOT IN (SELECT id FROM companies)")  # noqa: S608
    with _children_of_customers_kept():
        for table in PURGED_APART:
            with op.batch_alter_table(table) as batch:
                batch.create_foreign_key(
                    f"fk_{table}_company_id_companies", "companies", ["company_id"], ["id"], ondelete="CASCADE"
                )
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")


@contextlib.contextmanager
def _children_of_customers_kept() -> Iterator[None]:
    """On SQLite, changing a constraint recreates the table, and dropping the old `customers` deletes its rows
    first, which cascades to their contacts and addresses: copies of those are put back afterwards."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    for table in CHILDREN_OF_CUSTOMERS:
        op.execute(f"CREATE TEMPORARY TABLE kept_{table} AS SELECT * FROM {table}")  # noqa: S608
    yield
    for table in CHILDREN_OF_CUSTOMERS:
        op.execute(f"INSERT INTO {table} SELECT * FROM kept_{table} WHERE id NOT IN (SELECT id FROM {table})")  # noqa: S608
        op.execute(f"DROP TABLE kept_{table}")


def _read(query: str) -> list[dict[str, object]]:
    rows = op.get_bind().execute(
        sa.text(query).columns(
            sa.column("company_id", sa.Uuid()), sa.column("metric", sa.String()), sa.column("value", sa.BigInteger())
        )
    )
    return [dict(row._mapping) for row in rows]
