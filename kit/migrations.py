"""Alembic steps for the kit's tables, shared by every service's "event backbone" migration.

They bring the outbox and processed-event tables of the first schema to what `kit.db.new_metadata()`
describes now: the outbox's company and its relay index and NOTIFY trigger, the processed records'
company and age indexes, pending company purges, deleted companies and recorded queue bindings.
"""

import sqlalchemy as sa
from alembic import op

from kit.db import DROP_OUTBOX_NOTIFY, OUTBOX_NOTIFY_FUNCTION, OUTBOX_NOTIFY_TRIGGER

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade_event_tables() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("company_id", sa.Uuid(), nullable=True))
    if postgresql:
        op.execute(
            "UPDATE outbox SET company_id = (payload->>'companyId')::uuid "
            "WHERE company_id IS NULL AND payload->>'companyId' IS NOT NULL"
        )
    unpublished = sa.text("published_at IS NULL")
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["created_at", "id"],
        postgresql_where=unpublished,
        sqlite_where=unpublished,
    )
    with op.batch_alter_table("processed_events") as batch:
        batch.add_column(sa.Column("company_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_processed_events_company_id"), "processed_events", ["company_id"])
    op.create_index(op.f("ix_processed_events_processed_at"), "processed_events", ["processed_at"])
    op.create_table(
        "company_purges",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("scheduled_at", TIMESTAMP, nullable=False),
        sa.Column("deleted_rows", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_company_purges")),
    )
    op.create_table(
        "deleted_companies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("deleted_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deleted_companies")),
    )
    op.create_index(op.f("ix_deleted_companies_deleted_at"), "deleted_companies", ["deleted_at"])
    op.create_table(
        "event_bindings",
        sa.Column("queue", sa.String(length=255), nullable=False),
        sa.Column("routing_key", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("queue", "routing_key", name=op.f("pk_event_bindings")),
    )
    if postgresql:
        op.execute(OUTBOX_NOTIFY_FUNCTION)
        op.execute(OUTBOX_NOTIFY_TRIGGER)


def downgrade_event_tables() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROP_OUTBOX_NOTIFY:
            op.execute(statement)
    op.drop_table("event_bindings")
    op.drop_index(op.f("ix_deleted_companies_deleted_at"), table_name="deleted_companies")
    op.drop_table("deleted_companies")
    op.drop_table("company_purges")
    op.drop_index(op.f("ix_processed_events_processed_at"), table_name="processed_events")
    op.drop_index(op.f("ix_processed_events_company_id"), table_name="processed_events")
    with op.batch_alter_table("processed_events") as batch:
        batch.drop_column("company_id")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("company_id")
