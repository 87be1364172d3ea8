"""Catalog's migrations build exactly the schema its models describe, on PostgreSQL and SQLite, and bring
existing data along: versions start at 1, each company's ACTIVE products are counted into its counter."""

import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from kit.db import Database, utcnow
from services.catalog.app import SPEC
from tests.conftest import DatabaseFactory
from tests.support.migrations import migrate_and_compare


async def test_migrations_match_models_on_postgresql(new_database: DatabaseFactory) -> None:
    assert await migrate_and_compare(await new_database("catalog"), SPEC) == []


async def test_migrations_match_models_on_sqlite(tmp_path: Path) -> None:
    assert await migrate_and_compare(f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}", SPEC) == []


def _migrate(connection: Connection, revision: str, downgrade: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(SPEC.migrations))
    config.attributes["connection"] = connection
    (command.downgrade if downgrade else command.upgrade)(config, revision)


async def _step(database: Database, revision: str, *, downgrade: bool = False) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_migrate, revision, downgrade)


def _uuid(value: uuid.UUID, database: Database) -> str:
    return value.hex if database.is_sqlite else str(value)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_existing_companies_get_counters_of_their_active_products_and_the_migration_reverses(
    backend: str, new_database: DatabaseFactory, tmp_path: Path
) -> None:
    url = await new_database("catalog") if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    database = Database(url)
    busy, empty = uuid.uuid4(), uuid.uuid4()
    try:
        await _step(database, "0003")
        async with database.engine.begin() as connection:
            for company_id in (busy, empty):
                await connection.execute(
                    text("INSERT INTO tenants (company_id, created_at, updated_at) VALUES (:id, :now, :now)"),
                    {"id": _uuid(company_id, database), "now": utcnow()},
                )
            for index, status in enumerate(("ACTIVE", "ACTIVE", "ARCHIVED")):
                await connection.execute(
                    text(
                        "INSERT INTO products (id, company_id, sku, sku_key, name, unit_price, unit_of_sale, "
                        "status, created_at, updated_at) "
                        "VALUES (:id, :company, :sku, :sku, 'P', 1, 'each', :status, :now, :now)"
                    ),
                    {
                        "id": _uuid(uuid.uuid4(), database),
                        "company": _uuid(busy, database),
                        "sku": f"p-{index}",
                        "status": status,
                        "now": utcnow(),
                    },
                )

        await _step(database, "head")

        async with database.engine.connect() as connection:
            rows = await connection.execute(text("SELECT company_id, active_products, version FROM product_counters"))
            # SQLite hands back the id as hex text.
            counters = {uuid.UUID(str(row.company_id)): (row.active_products, row.version) for row in rows}
            versions = set((await connection.scalars(text("SELECT version FROM products"))).all())
        assert counters == {busy: (2, 0), empty: (0, 0)}
        assert versions == {1}

        await _step(database, "0003", downgrade=True)
        assert await migrate_and_compare(url, SPEC) == []
    finally:
        await database.dispose()
