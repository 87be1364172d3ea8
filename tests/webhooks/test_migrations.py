"""Webhooks' migrations build exactly the schema its models describe, on PostgreSQL and SQLite."""

from pathlib import Path

from kit.purge import unlisted_tables
from services.webhooks.app import SPEC
from tests.conftest import DatabaseFactory
from tests.support.migrations import migrate_and_compare


async def test_migrations_match_models_on_postgresql(new_database: DatabaseFactory) -> None:
    assert await migrate_and_compare(await new_database("webhooks"), SPEC) == []


async def test_migrations_match_models_on_sqlite(tmp_path: Path) -> None:
    assert await migrate_and_compare(f"sqlite+aiosqlite:///{tmp_path / 'webhooks.db'}", SPEC) == []


def test_every_table_with_a_company_is_in_the_purge_plan() -> None:
    assert SPEC.purge is not None
    assert unlisted_tables(SPEC.metadata, SPEC.purge) == []
