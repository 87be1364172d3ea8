"""Catalog's migrations build exactly the schema its models describe, on PostgreSQL and SQLite."""

from pathlib import Path

from services.catalog.app import SPEC
from tests.conftest import DatabaseFactory
from tests.support.migrations import migrate_and_compare


async def test_migrations_match_models_on_postgresql(new_database: DatabaseFactory) -> None:
    assert await migrate_and_compare(await new_database("catalog"), SPEC) == []


async def test_migrations_match_models_on_sqlite(tmp_path: Path) -> None:
    assert await migrate_and_compare(f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}", SPEC) == []
