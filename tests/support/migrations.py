"""Check a service's Alembic history against its models, on PostgreSQL and SQLite."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from kit.db import Database
from kit.service import ServiceSpec


async def migrate_and_compare(database_url: str, spec: ServiceSpec) -> list[Any]:
    """Apply `spec`'s migrations to the (empty) database, then list what still differs from the models."""
    database = Database(database_url)
    try:
        await database.upgrade(spec.migrations)
        async with database.engine.connect() as connection:
            return await connection.run_sync(_differences, spec)
    finally:
        await database.dispose()


def _differences(connection: Connection, spec: ServiceSpec) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, spec.metadata))
