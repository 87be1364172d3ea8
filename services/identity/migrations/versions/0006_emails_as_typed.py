"""Emails kept as typed: unique whatever their case by indexes on lower(email), not by plain unique constraints.

Users, customers (per company) and customer contacts (per customer) lose their unique constraint on the raw
email for a unique index on lower(email); contacts' lookup index by (company_id, email) becomes one on
(company_id, lower(email)), which storefront sign-in compares. Existing rows are lower-case already: nothing
to rewrite. Going back lower-cases every email again (the unique indexes guarantee no two collide).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

import contextlib
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table with an email, and the columns its email is unique within (beside lower(email)).
UNIQUE_WITHIN = {"users": (), "customers": ("company_id",), "customer_contacts": ("customer_id",)}
# What the unique constraints of 0001 and 0002 are named (the naming convention's first column).
OLD_UNIQUE = {
    "users": "uq_users_email",
    "customers": "uq_customers_company_id",
    "customer_contacts": "uq_customer_contacts_customer_id",
}
_EMAIL_KEY = sa.text("lower(email)")
# The rows whose foreign key points at a table SQLite recreates here (see `_referencing_rows_kept`).
REFERENCING = ("memberships", "invites", "api_keys", "customer_contacts", "addresses")


def upgrade() -> None:
    with _referencing_rows_kept():
        for table, name in OLD_UNIQUE.items():
            with op.batch_alter_table(table) as batch:
                if table == "customer_contacts":
                    batch.drop_index("ix_customer_contacts_company_id_email")
                batch.drop_constraint(name, type_="unique")
    # After the batches: SQLite cannot reflect an index on an expression, so a recreated table would lose it.
    for table, within in UNIQUE_WITHIN.items():
        op.create_index(f"uq_{table}_{'_'.join((*within, 'email'))}_key", table, [*within, _EMAIL_KEY], unique=True)
    op.create_index(
        "ix_customer_contacts_company_id_email_key", "customer_contacts", ["company_id", _EMAIL_KEY], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_customer_contacts_company_id_email_key", "customer_contacts")
    for table, within in UNIQUE_WITHIN.items():
        op.drop_index(f"uq_{table}_{'_'.join((*within, 'email'))}_key", table)
        # 0005 and before store and look up lower-cased emails.
        op.execute(f"UPDATE {table} SET email = lower(email)")  # noqa: S608
    op.execute("UPDATE invites SET email = lower(email)")
    with _referencing_rows_kept():
        for table, name in OLD_UNIQUE.items():
            with op.batch_alter_table(table) as batch:
                batch.create_unique_constraint(name, [*UNIQUE_WITHIN[table], "email"])
    op.create_index("ix_customer_contacts_company_id_email", "customer_contacts", ["company_id", "email"])


@contextlib.contextmanager
def _referencing_rows_kept() -> Iterator[None]:
    """On SQLite, changing a constraint recreates the table, and dropping the old one deletes its rows first,
    which cascades (or sets null) along the foreign keys into other tables: those are put back as they were."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    for table in REFERENCING:
        op.execute(f"CREATE TEMPORARY TABLE kept_{table} AS SELECT * FROM {table}")  # noqa: S608
    yield
    for table in REFERENCING:
        # Nothing points at these rows, so replacing them cascades nowhere.
        op.execute(f"DELETE FROM {table}")  # noqa: S608
        op.execute(f"INSERT INTO {table} SELECT * FROM kept_{table}")  # noqa: S608
        op.execute(f"DROP TABLE kept_{table}")
