"""The event backbone migration (kit.migrations) brings a service's first event tables to kit.db.new_metadata()."""

import asyncio
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from kit.db import OUTBOX_CHANNEL, Database, new_metadata, utcnow
from kit.outbox import unpublished_batch
from tests.conftest import DatabaseFactory

MIGRATIONS = Path(__file__).parent / "backbone_migrations"


def _migrate(connection: Connection, revision: str, downgrade: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    (command.downgrade if downgrade else command.upgrade)(config, revision)


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, new_metadata()))


async def _step(database: Database, revision: str, *, downgrade: bool = False) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_migrate, revision, downgrade)


async def _differences_after_upgrade(url: str) -> list[Any]:
    database = Database(url)
    try:
        await _step(database, "head")
        async with database.engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await database.dispose()


async def test_the_migration_matches_the_kit_tables_on_postgresql(new_database: DatabaseFactory) -> None:
    assert await _differences_after_upgrade(await new_database("backbone")) == []


async def test_the_migration_matches_the_kit_tables_on_sqlite(tmp_path: Path) -> None:
    assert await _differences_after_upgrade(f"sqlite+aiosqlite:///{tmp_path / 'backbone.db'}") == []


async def test_existing_outbox_rows_get_their_company_and_the_migration_reverses(new_database: DatabaseFactory) -> None:
    database = Database(await new_database("backbone"))
    company_id, event_id = uuid.uuid4(), uuid.uuid4()
    try:
        await _step(database, "0001")
        async with database.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO outbox (id, routing_key, payload, headers, created_at) "
                    "VALUES (:id, 'X.v1', CAST(:payload AS jsonb), '{}', now())"
                ),
                {"id": event_id, "payload": f'{{"companyId": "{company_id}"}}'},
            )
        await _step(database, "head")
        async with database.engine.connect() as connection:
            assert await connection.scalar(text("SELECT company_id FROM outbox")) == company_id
        await _step(database, "0001", downgrade=True)
        await _step(database, "head")
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await database.dispose()


async def _notify(database: Database, payload: str) -> None:
    """A notification on the outbox's channel from a transaction of its own, committed at once."""
    async with database.engine.begin() as connection:
        await connection.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": OUTBOX_CHANNEL, "payload": payload}
        )


async def test_an_insert_into_the_migrated_outbox_notifies_once_per_statement(new_database: DatabaseFactory) -> None:
    url = await new_database("backbone")
    database = Database(url)
    listener = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    notifications: asyncio.Queue[str] = asyncio.Queue()
    try:
        await _step(database, "head")
        # Each notification's payload: the trigger's is empty, the markers below name themselves.
        await listener.add_listener(OUTBOX_CHANNEL, lambda *args: notifications.put_nowait(args[3]))
        rows = [
            {"id": uuid.uuid4(), "routing_key": "X.v1", "payload": {}, "headers": {}, "created_at": utcnow()}
            for _ in range(3)
        ]
        outbox = new_metadata().tables["outbox"]
        async with database.engine.begin() as connection:
            await connection.execute(outbox.insert().values(rows))
            # A marker committed meanwhile arrives first: the insert's NOTIFY waits for its commit.
            await _notify(database, "before commit")
            assert await asyncio.wait_for(notifications.get(), 5) == "before commit"
        assert await asyncio.wait_for(notifications.get(), 5) == ""
        # Once per statement, not per row: the next notification after it is a marker committed since.
        await _notify(database, "after commit")
        assert await asyncio.wait_for(notifications.get(), 5) == "after commit"
    finally:
        await listener.close()
        await database.dispose()


async def test_the_relays_scan_reads_the_unpublished_rows_from_their_own_index(new_database: DatabaseFactory) -> None:
    database = Database(await new_database("backbone"))
    outbox = new_metadata().tables["outbox"]
    now = utcnow()
    try:
        await _step(database, "head")
        async with database.engine.begin() as connection:
            rows = [
                {"id": uuid.uuid4(), "routing_key": "X.v1", "payload": {}, "headers": {}, "created_at": now}
                | {"published_at": now if n >= 2000 else None}
                for n in range(5000)
            ]
            await connection.execute(outbox.insert(), rows)
            await connection.execute(text("ANALYZE outbox"))
            scan = unpublished_batch(outbox, 500).compile(connection, compile_kwargs={"literal_binds": True})
            plan = "\n".join((await connection.execute(text(f"EXPLAIN {scan}"))).scalars())
        assert "ix_outbox_unpublished" in plan, plan
    finally:
        await database.dispose()
