"""The people side: staff invites, customers with their contacts and addresses, API keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kit.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_and_timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kit.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kit.db.UTCDateTime(), nullable=False),
    ]


def _company(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f(f"fk_{table}_company_id_companies"), ondelete="CASCADE"
        ),
    ]


def _customer(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f(f"fk_{table}_customer_id_customers"), ondelete="CASCADE"
        ),
    ]


def _password() -> list[sa.Column[object]]:
    return [
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("password_set_at", kit.db.UTCDateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "invites",
        *_id_and_timestamps(),
        *_company("invites"),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "role",
            sa.Enum("OWNER", "ADMIN", "MEMBER", name="staff_role", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", kit.db.UTCDateTime(), nullable=False),
        sa.Column("accepted_at", kit.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", kit.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_user_id"],
            ["users.id"],
            name=op.f("fk_invites_invited_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invites_token_hash")),
    )
    op.create_index(op.f("ix_invites_company_id"), "invites", ["company_id"])

    op.create_table(
        "customers",
        *_id_and_timestamps(),
        *_company("customers"),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        *_password(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("company_id", "email", name=op.f("uq_customers_company_id")),
    )
    op.create_table(
        "customer_contacts",
        *_id_and_timestamps(),
        *_company("customer_contacts"),
        *_customer("customer_contacts"),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column(
            "role",
            sa.Enum("ADMIN", "BUYER", "VIEWER", name="contact_role", native_enum=False, length=20),
            nullable=False,
        ),
        *_password(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_contacts")),
        sa.UniqueConstraint("customer_id", "email", name=op.f("uq_customer_contacts_customer_id")),
    )
    op.create_index("ix_customer_contacts_company_id_email", "customer_contacts", ["company_id", "email"])

    op.create_table(
        "addresses",
        *_id_and_timestamps(),
        *_company("addresses"),
        *_customer("addresses"),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("recipient", sa.String(length=100), nullable=True),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_index(op.f("ix_addresses_company_id"), "addresses", ["company_id"])
    op.create_index(op.f("ix_addresses_customer_id"), "addresses", ["customer_id"])

    op.create_table(
        "api_keys",
        *_id_and_timestamps(),
        *_company("api_keys"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("last_used_at", kit.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", kit.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_api_keys_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    op.create_index(op.f("ix_api_keys_company_id"), "api_keys", ["company_id"])


def downgrade() -> None:
    for table in ("api_keys", "addresses", "customer_contacts", "customers", "invites"):
        op.drop_table(table)
