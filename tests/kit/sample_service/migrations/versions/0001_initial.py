"""Sample service schema: notes, plus kit's outbox and processed-event tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from tests.kit.sample_service import Base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Test-only: the tables straight from the models (real services write their migrations out).
    Base.metadata.create_all(op.get_bind())


def downgrade() -> None:
    Base.metadata.drop_all(op.get_bind())
