"""The migrations build exactly the schema the models describe, on PostgreSQL and on SQLite, and keep the
rows they find."""

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import TableClause

from kit.db import Database, UTCDateTime, utcnow
from kit.purge import unlisted_tables
from services.identity.app import SPEC
from services.identity.models import (
    Address,
    Base,
    CompanyCounters,
    Customer,
    CustomerContact,
    Invite,
    Membership,
    Plan,
    UsageCounter,
    User,
)
from tests.conftest import DatabaseFactory


def schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def migrated_differences(database: Database) -> tuple[list[Any], list[str]]:
    await database.upgrade(SPEC.migrations)
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(schema_differences)
    async with database.sessionmaker() as session:
        plans = list((await session.scalars(select(Plan.code).order_by(Plan.sort_order))).all())
    return differences, plans


async def test_migrations_match_the_models_on_postgresql(new_database: DatabaseFactory) -> None:
    database = Database(await new_database("identity_schema"))
    try:
        differences, plans = await migrated_differences(database)
    finally:
        await database.dispose()

    assert differences == []
    assert plans == ["starter", "growth", "scale"]


# SQLite cannot reflect an index on an expression, so the comparison skips lower(email)'s (with these warnings);
# `test_emails_are_unique_whatever_their_case` checks them there.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
async def test_migrations_run_on_sqlite(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}")
    try:
        differences, plans = await migrated_differences(database)
        # A second start finds the schema current and changes nothing.
        await database.upgrade(SPEC.migrations)
    finally:
        await database.dispose()

    assert differences == []
    assert plans == ["starter", "growth", "scale"]


def test_every_table_with_company_rows_is_in_the_purge_plan() -> None:
    assert unlisted_tables(Base.metadata, SPEC.purge) == []


def _table(name: str, *columns: str) -> TableClause:
    types: dict[str, Any] = {"value": sa.BigInteger(), "is_default": sa.Boolean()}
    uuids = {"id", "company_id", "customer_id", "user_id", "invited_by_user_id"}
    times = {"created_at", "updated_at", "expires_at"}
    return sa.table(
        name,
        *(
            sa.column(
                column,
                sa.Uuid() if column in uuids else UTCDateTime() if column in times else types.get(column, sa.String()),
            )
            for column in columns
        ),
    )


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SPEC.migrations))
    config.attributes["connection"] = connection
    return config


def _migrate(connection: Connection, revision: str) -> None:
    command.upgrade(_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(_config(connection), revision)


async def _rows_before_versions(database: Database) -> uuid.UUID:
    """A company as 0004 stores it: a member, an open invite, a customer with a contact and an address, usage."""
    company_id, user_id, customer_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    async with database.engine.begin() as connection:
        await connection.run_sync(_migrate, "0004")
        rows: list[tuple[TableClause, dict[str, Any]]] = [
            (
                _table("companies", "id", "name", "slug", "created_at", "updated_at"),
                {"id": company_id, "name": "Acme", "slug": "acme", **stamps},
            ),
            (
                _table("users", "id", "email", "name", "password_hash", "created_at", "updated_at"),
                {"id": user_id, "email": "ada@acme.example", "name": "Ada", "password_hash": "x", **stamps},
            ),
            (
                _table("memberships", "id", "company_id", "user_id", "role", "created_at", "updated_at"),
                {"id": uuid.uuid4(), "company_id": company_id, "user_id": user_id, "role": "OWNER", **stamps},
            ),
            (
                _table("subscriptions", "id", "company_id", "plan_code", "status", "created_at", "updated_at"),
                {"id": uuid.uuid4(), "company_id": company_id, "plan_code": "starter", "status": "ACTIVE", **stamps},
            ),
            (
                _table(
                    "invites",
                    "id",
                    "company_id",
                    "email",
                    "role",
                    "token_hash",
                    "invited_by_user_id",
                    "expires_at",
                    "created_at",
                    "updated_at",
                ),
                {
                    "id": uuid.uuid4(),
                    "company_id": company_id,
                    "email": "new@acme.example",
                    "role": "MEMBER",
                    "token_hash": uuid.uuid4().hex,
                    "invited_by_user_id": user_id,
                    "expires_at": now,
                    **stamps,
                },
            ),
            (
                _table("customers", "id", "company_id", "email", "name", "created_at", "updated_at"),
                {
                    "id": customer_id,
                    "company_id": company_id,
                    "email": "buyer@diner.example",
                    "name": "Diner",
                    **stamps,
                },
            ),
            (
                _table(
                    "customer_contacts", "id", "company_id", "customer_id", "email", "role", "created_at", "updated_at"
                ),
                {
                    "id": uuid.uuid4(),
                    "company_id": company_id,
                    "customer_id": customer_id,
                    "email": "clerk@diner.example",
                    "role": "BUYER",
                    **stamps,
                },
            ),
            (
                _table(
                    "addresses",
                    "id",
                    "company_id",
                    "customer_id",
                    "line1",
                    "city",
                    "postal_code",
                    "country",
                    "is_default",
                    "created_at",
                    "updated_at",
                ),
                {
                    "id": uuid.uuid4(),
                    "company_id": company_id,
                    "customer_id": customer_id,
                    "line1": "1 Main St",
                    "city": "Springfield",
                    "postal_code": "12345",
                    "country": "US",
                    "is_default": True,
                    **stamps,
                },
            ),
            (
                _table("usage_counters", "id", "company_id", "metric", "value", "updated_at"),
                {"id": uuid.uuid4(), "company_id": company_id, "metric": "products", "value": 7, "updated_at": now},
            ),
        ]
        for table, row in rows:
            await connection.execute(table.insert().values(row))
    return company_id


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_upgrading_keeps_every_row_and_counts_what_limits_need(
    new_database: DatabaseFactory, tmp_path: Path, backend: str
) -> None:
    url = (
        await new_database("identity_upgrade")
        if backend == "postgresql"
        else f"sqlite+aiosqlite:///{tmp_path / 'id.db'}"
    )
    database = Database(url)
    try:
        company_id = await _rows_before_versions(database)
        await database.upgrade(SPEC.migrations)
        async with database.sessionmaker() as session:
            counters = await session.get(CompanyCounters, company_id)
            usage = (await session.scalars(select(UsageCounter))).one()
            kept = {
                model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (User, Membership, Invite, Customer, CustomerContact, Address)
            }
            invited_by = await session.scalar(select(Invite.invited_by_user_id))
            owner = await session.scalar(select(User.id))
            versions = set((await session.scalars(select(Customer.version))).all())
    finally:
        await database.dispose()

    # SQLite recreates a table to drop a foreign key or a unique constraint: the rows pointing at it (which
    # its drop would cascade to, or set null) survive that too.
    assert kept == {
        "users": 1,
        "memberships": 1,
        "invites": 1,
        "customers": 1,
        "customer_contacts": 1,
        "addresses": 1,
    }
    assert invited_by == owner
    assert versions == {1}
    assert counters is not None
    # The owner and the open invite hold team seats; the Starter plan's limits are copied.
    assert (counters.customers, counters.team_seats, counters.max_customers, counters.max_team_members) == (1, 2, 50, 3)
    # Any new count from catalog (version 1 and up) replaces the one taken before versions.
    assert (usage.company_id, usage.value, usage.version) == (company_id, 7, 0)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_emails_are_unique_whatever_their_case(
    new_database: DatabaseFactory, tmp_path: Path, backend: str
) -> None:
    """The unique indexes on lower(email) exist and hold on both backends (the comparison above cannot see them
    on SQLite); the first spelling is the one kept."""
    url = (
        await new_database("identity_email") if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"
    )
    database = Database(url)
    company_id, customer_id = uuid.uuid4(), uuid.uuid4()
    stamps = {"created_at": utcnow(), "updated_at": utcnow()}
    customer = {"company_id": company_id, "name": "Diner"}
    contact = {"company_id": company_id, "customer_id": customer_id, "role": "BUYER"}
    pairs = [
        (
            User(id=uuid.uuid4(), email="Jane.Doe@Example.com", name="Jane", password_hash="x", **stamps),
            User(id=uuid.uuid4(), email="jane.doe@EXAMPLE.COM", name="Jane", password_hash="x", **stamps),
        ),
        (
            Customer(id=customer_id, email="Orders@Diner.example", **customer, **stamps),
            Customer(id=uuid.uuid4(), email="orders@diner.EXAMPLE", **customer, **stamps),
        ),
        (
            CustomerContact(id=uuid.uuid4(), email="Clerk@Diner.example", **contact, **stamps),
            CustomerContact(id=uuid.uuid4(), email="CLERK@diner.example", **contact, **stamps),
        ),
    ]
    refused: list[str] = []
    try:
        await database.upgrade(SPEC.migrations)
        for first, second in pairs:
            async with database.sessionmaker() as session:
                session.add(first)
                await session.commit()
            async with database.sessionmaker() as session:
                session.add(second)
                try:
                    await session.commit()
                except IntegrityError:
                    refused.append(second.__tablename__)
        async with database.sessionmaker() as session:
            emails = {
                model.__tablename__: list((await session.scalars(select(model.email))).all())
                for model in (User, Customer, CustomerContact)
            }
    finally:
        await database.dispose()

    assert refused == ["users", "customers", "customer_contacts"]
    assert emails == {
        "users": ["Jane.Doe@Example.com"],
        "customers": ["Orders@Diner.example"],
        "customer_contacts": ["Clerk@Diner.example"],
    }


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_going_back_before_emails_as_typed_lower_cases_them(
    new_database: DatabaseFactory, tmp_path: Path, backend: str
) -> None:
    url = await new_database("identity_down") if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"
    database = Database(url)
    stamps = {"created_at": utcnow(), "updated_at": utcnow()}
    try:
        await database.upgrade(SPEC.migrations)
        async with database.sessionmaker() as session:
            session.add(User(id=uuid.uuid4(), email="Jane.Doe@Example.com", name="Jane", password_hash="x", **stamps))
            await session.commit()
        async with database.engine.begin() as connection:
            await connection.run_sync(_downgrade, "0005")
        async with database.engine.connect() as connection:
            emails = (await connection.execute(sa.text("SELECT email FROM users"))).scalars().all()
    finally:
        await database.dispose()

    assert emails == ["jane.doe@example.com"]
