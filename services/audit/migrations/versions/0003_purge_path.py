"""Audit log purge path: DELETE only of the company that kit.purge is purging; UPDATE and TRUNCATE refused.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kit.purge runs `set_config('distribu.purging_company', <company id>, true)` at the start of each purge
# transaction; the setting ends with that transaction. `current_setting(..., true)` is NULL where it was
# never set and '' once a transaction that set it has ended: neither equals a company id.
REFUSE_CHANGE = """
CREATE FUNCTION audit_logs_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.company_id::text = current_setting('distribu.purging_company', true) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'A deleted company''s entries are removed by its purge (kit.purge), nothing else.';
END
$$
"""

# 0001's function and trigger, put back on downgrade.
REFUSE_UPDATE = """
CREATE FUNCTION audit_logs_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: UPDATE is not allowed'
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite (embedded mode) has no such guard
    op.execute("DROP TRIGGER audit_logs_append_only ON audit_logs")
    op.execute("DROP FUNCTION audit_logs_refuse_update()")
    op.execute(REFUSE_CHANGE)
    op.execute(
        """
        CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
        FOR EACH ROW EXECUTE FUNCTION audit_logs_refuse_change()
        """
    )
    # TRUNCATE fires no row trigger: refused on its own.
    op.execute(
        """
        CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
        FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_refuse_change()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER audit_logs_no_truncate ON audit_logs")
    op.execute("DROP TRIGGER audit_logs_append_only ON audit_logs")
    op.execute("DROP FUNCTION audit_logs_refuse_change()")
    op.execute(REFUSE_UPDATE)
    op.execute(
        """
        CREATE TRIGGER audit_logs_append_only BEFORE UPDATE ON audit_logs
        FOR EACH ROW EXECUTE FUNCTION audit_logs_refuse_update()
        """
    )
