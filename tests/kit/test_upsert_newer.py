"""kit.db.upsert_newer: a read model row is written by the newest version only, on PostgreSQL and SQLite."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, select

from kit.db import Database, upsert_newer
from tests.conftest import DatabaseFactory

METADATA = MetaData()
LABELS = Table(
    "labels",
    METADATA,
    Column("id", Uuid(), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("version", Integer(), nullable=False),
)


@pytest.fixture(params=["postgresql", "sqlite"])
async def database(
    request: pytest.FixtureRequest, new_database: DatabaseFactory, tmp_path: Path
) -> AsyncIterator[Database]:
    url = await new_database("upsert") if request.param == "postgresql" else f"sqlite+aiosqlite:///{tmp_path}/u.db"
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    yield database
    await database.dispose()


async def _apply(database: Database, *rows: tuple[uuid.UUID, str, int]) -> None:
    async with database.sessionmaker() as session:
        values = [{"id": id_, "name": name, "version": version} for id_, name, version in rows]
        await upsert_newer(session, LABELS, values, key=["id"], version="version")
        await session.commit()


async def _names(database: Database) -> dict[uuid.UUID, tuple[str, int]]:
    async with database.sessionmaker() as session:
        rows = await session.execute(select(LABELS.c.id, LABELS.c.name, LABELS.c.version))
        return {row.id: (row.name, row.version) for row in rows}


async def test_only_a_newer_version_overwrites_a_row(database: Database) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    await _apply(database, (first, "v3", 3), (second, "v1", 1))
    # Late and duplicate deliveries (older or equal versions) change nothing; a newer one wins.
    await _apply(database, (first, "v2", 2), (second, "v2", 2))
    await _apply(database, (first, "v3 again", 3))
    await _apply(database)

    assert await _names(database) == {first: ("v3", 3), second: ("v2", 2)}
