"""Documents: per-company invoice counters, the documents of orders and customers' vaults, and their bytes in
chunks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
DOCUMENT_KIND = sa.Enum("INVOICE", "PACKING_LIST", "FILE", name="document_kind", native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("last_invoice_number", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_document_counters")),
    )
    op.create_table(
        "documents",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("kind", DOCUMENT_KIND, nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.Date(), nullable=True),
        sa.Column("content", JSON, nullable=True),
        sa.Column("voided_at", TIMESTAMP, nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("void_copy_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("void_copy_sha256", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by_type", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_documents_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("company_id", "kind", "number", name=op.f("uq_documents_company_id")),
        sa.UniqueConstraint("order_id", "kind", name=op.f("uq_documents_order_id")),
    )
    op.create_index(
        "ix_documents_company_id_customer_id_created_at", "documents", ["company_id", "customer_id", "created_at"]
    )
    op.create_index("ix_documents_company_id_expires_at", "documents", ["company_id", "expires_at"])
    op.create_table(
        "document_chunks",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("copy", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_chunks_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "copy", "seq", name=op.f("pk_document_chunks")),
    )
    # The purge deletes a company's chunks before its documents, by company.
    op.create_index(op.f("ix_document_chunks_company_id"), "document_chunks", ["company_id"])


def downgrade() -> None:
    op.drop_table("document_chunks")
    op.drop_table("documents")
    op.drop_table("document_counters")
