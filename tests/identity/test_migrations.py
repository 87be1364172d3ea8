"""The migrations build exactly the schema the models describe, on PostgreSQL and on SQLite."""

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.engine import Connection

from kit.db import Database
from services.identity.app import SPEC
from services.identity.models import Base, Plan
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
