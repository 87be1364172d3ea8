"""kit.db's transaction helpers and kit.repository's scoped builders, on real PostgreSQL (and SQLite where
embedded mode depends on the same behaviour)."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, MetaData, String, Table, UniqueConstraint, Uuid, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase

from kit.db import AfterCommit, Database, after_commit, commit, conflict_on_duplicate, flush_or_conflict
from kit.errors import Conflict
from kit.repository import COMPANY, scoped_delete, scoped_select, scoped_update
from tests.conftest import DatabaseFactory

METADATA = MetaData()
OWNERS = Table("owners", METADATA, Column("id", Uuid(), primary_key=True))
ITEMS = Table(
    "items",
    METADATA,
    Column("id", Uuid(), primary_key=True),
    Column("company_id", Uuid(), nullable=False),
    Column("name", String(50), nullable=False),
    Column("owner_id", Uuid(), ForeignKey("owners.id"), nullable=True),
    UniqueConstraint("company_id", "name"),
)


class _Base(DeclarativeBase):
    metadata = METADATA


class Item(_Base):
    __table__ = ITEMS


@pytest.fixture(params=["postgresql", "sqlite"])
async def database(
    request: pytest.FixtureRequest, new_database: DatabaseFactory, tmp_path: Path
) -> AsyncIterator[Database]:
    url = await new_database("helpers") if request.param == "postgresql" else f"sqlite+aiosqlite:///{tmp_path}/h.db"
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    yield database
    await database.dispose()


def _item(company_id: uuid.UUID, name: str, owner_id: uuid.UUID | None = None) -> dict[str, object]:
    return {"id": uuid.uuid4(), "company_id": company_id, "name": name, "owner_id": owner_id}


async def _names(database: Database) -> list[tuple[uuid.UUID, str]]:
    async with database.sessionmaker() as session:
        rows = await session.execute(select(ITEMS.c.company_id, ITEMS.c.name).order_by(ITEMS.c.name))
        return [(row.company_id, row.name) for row in rows]


async def test_an_after_commit_callback_of_a_rolled_back_transaction_never_runs(database: Database) -> None:
    ran: list[str] = []

    def record(name: str) -> AfterCommit:
        async def callback() -> None:
            ran.append(name)

        return callback

    company = uuid.uuid4()
    async with database.sessionmaker() as session:
        await session.execute(insert(ITEMS).values(_item(company, "rolled back")))
        after_commit(session, record("rolled back"))
        await session.rollback()
        # The same session's next transaction commits: only its own callback runs.
        await session.execute(insert(ITEMS).values(_item(company, "committed")))
        after_commit(session, record("committed"))
        await commit(session)

    assert ran == ["committed"]
    assert await _names(database) == [(company, "committed")]


async def test_an_after_commit_callback_waits_for_the_outer_commit_not_a_savepoints(database: Database) -> None:
    ran: list[str] = []

    async def callback() -> None:
        ran.append("outer")

    async with database.sessionmaker() as session:
        async with session.begin_nested():
            after_commit(session, callback)
        assert ran == []
        await commit(session)

    assert ran == ["outer"]


async def test_a_duplicate_answers_the_conflict_and_rolls_back(database: Database) -> None:
    company = uuid.uuid4()
    async with database.sessionmaker() as session:
        await session.execute(insert(ITEMS).values(_item(company, "gloves")))
        await commit(session)

    taken = Conflict("That name is taken.")
    async with database.sessionmaker() as session:
        await session.execute(insert(ITEMS).values(_item(company, "soap")))
        with pytest.raises(Conflict) as raised:
            async with conflict_on_duplicate(session, taken):
                await session.execute(insert(ITEMS).values(_item(company, "gloves")))
        assert raised.value is taken
        # Rolled back: the session is usable again, and the row written before the conflict is gone.
        await commit(session)

    assert await _names(database) == [(company, "gloves")]


async def test_flush_or_conflict_answers_a_duplicate_among_the_sessions_new_objects(database: Database) -> None:
    company, other = uuid.uuid4(), uuid.uuid4()
    async with database.sessionmaker() as session:
        session.add(Item(**_item(company, "gloves")))
        # Another company's same name is not a duplicate.
        session.add(Item(**_item(other, "gloves")))
        await flush_or_conflict(session, Conflict("taken"))
        await commit(session)

    async with database.sessionmaker() as session:
        session.add(Item(**_item(company, "gloves")))
        with pytest.raises(Conflict):
            await flush_or_conflict(session, Conflict("taken"))

    assert sorted(await _names(database)) == sorted([(company, "gloves"), (other, "gloves")])


async def test_an_integrity_error_other_than_a_duplicate_is_not_a_conflict(database: Database) -> None:
    async with database.sessionmaker() as session:
        with pytest.raises(IntegrityError):  # an unknown owner (SQLite checks foreign keys too: kit.db's pragmas)
            async with conflict_on_duplicate(session, Conflict("taken")):
                await session.execute(insert(ITEMS).values(_item(uuid.uuid4(), "orphan", owner_id=uuid.uuid4())))


async def test_scoped_statements_touch_only_the_bound_companys_rows(database: Database) -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    async with database.sessionmaker() as session:
        await session.execute(
            insert(ITEMS), [_item(mine, "a"), _item(mine, "b"), _item(theirs, "a"), _item(theirs, "b")]
        )
        await commit(session)

    async with database.sessionmaker() as session:
        rename = scoped_update(ITEMS).where(ITEMS.c.name == "a").values(name="renamed")
        await session.execute(rename, {COMPANY: mine})
        await session.execute(scoped_delete(ITEMS).where(ITEMS.c.name == "b"), {COMPANY: mine})
        mine_now = list(await session.scalars(scoped_select(ITEMS, ITEMS.c.name), {COMPANY: mine}))
        await commit(session)

    assert mine_now == ["renamed"]
    assert sorted(await _names(database)) == sorted([(mine, "renamed"), (theirs, "a"), (theirs, "b")])
