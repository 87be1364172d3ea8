"""The audit migrations: they build exactly the models' schema, on PostgreSQL and SQLite."""

import uuid
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from kit.db import Database
from kit.purge import unlisted_tables
from services.audit.app import SPEC
from services.audit.audit_log import service
from services.audit.models import AuditLog, Base
from tests.audit.conftest import envelope
from tests.conftest import DatabaseFactory


def _schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _migrated(url: str) -> Database:
    database = Database(url)
    await database.upgrade(SPEC.migrations)
    return database


async def test_migrations_match_the_models_on_postgresql(new_database: DatabaseFactory) -> None:
    database = await _migrated(await new_database("audit_schema"))
    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_schema_differences) == []
    finally:
        await database.dispose()


async def test_migrations_run_on_sqlite_and_match_the_models(tmp_path: Path) -> None:
    database = await _migrated(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")
    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_schema_differences) == []
        # Applying them again (every start-up does) is a no-op.
        await database.upgrade(SPEC.migrations)
        async with database.sessionmaker() as session:
            await service.record(session, [envelope(uuid.uuid4())])
            await session.commit()
            assert await session.scalar(select(func.count()).select_from(AuditLog)) == 1
    finally:
        await database.dispose()


def test_the_service_spec_owns_the_outbox_and_processed_event_tables() -> None:
    assert {"outbox", "processed_events", "audit_logs"} <= set(Base.metadata.tables)
    assert SPEC.consumer is not None
    assert SPEC.consumer.routing_keys == ["#"]


def test_every_table_with_a_company_is_in_the_purge_plan() -> None:
    assert SPEC.purge is not None
    assert unlisted_tables(Base.metadata, SPEC.purge) == []
