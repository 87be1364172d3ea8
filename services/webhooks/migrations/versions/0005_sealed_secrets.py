"""Signing secrets sealed at rest: `secret` and `previous_secret` become `sealed_secret` and
`sealed_previous_secret`, each existing value sealed with the first key of WEBHOOKS_SECRET_KEYS (going back
unseals them with those keys).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from services.webhooks.sealing import seal, unseal
from services.webhooks.settings import WebhooksSettings

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENDPOINTS = sa.table(
    "webhook_endpoints",
    sa.column("id", sa.Uuid()),
    sa.column("secret", sa.String()),
    sa.column("previous_secret", sa.String()),
)


def _rewrite(change: Callable[[str], str]) -> None:
    """Every endpoint's two secrets through `change`, row by row (a company has at most 20 endpoints)."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(ENDPOINTS.c.id, ENDPOINTS.c.secret, ENDPOINTS.c.previous_secret)).all()
    for row in rows:
        values = {"secret": change(row.secret)}
        if row.previous_secret is not None:
            values["previous_secret"] = change(row.previous_secret)
        connection.execute(sa.update(ENDPOINTS).where(ENDPOINTS.c.id == row.id).values(**values))


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("secret", type_=sa.String(length=400), existing_nullable=False)
        batch.alter_column("previous_secret", type_=sa.String(length=400), existing_nullable=True)
    keys = WebhooksSettings().sealing_keys
    _rewrite(lambda secret: seal(secret, keys))
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("secret", new_column_name="sealed_secret")
        batch.alter_column("previous_secret", new_column_name="sealed_previous_secret")


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("sealed_secret", new_column_name="secret")
        batch.alter_column("sealed_previous_secret", new_column_name="previous_secret")
    keys = WebhooksSettings().sealing_keys
    _rewrite(lambda sealed: unseal(sealed, keys))
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("secret", type_=sa.String(length=200), existing_nullable=False)
        batch.alter_column("previous_secret", type_=sa.String(length=200), existing_nullable=True)
