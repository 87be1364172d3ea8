"""Kit plumbing against the real servers: a scratch database with kit's tables, a broker connection."""

from collections.abc import AsyncIterator

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid

from kit.db import Database, new_metadata
from tests.conftest import DatabaseFactory
from tests.infrastructure import Infrastructure


def _metadata() -> MetaData:
    metadata = new_metadata()
    # What test handlers do: one row per application, so applying an event twice shows as two rows.
    Table(
        "effects",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", Uuid(), nullable=False),
        Column("event_type", String(200), nullable=False),
    )
    return metadata


METADATA = _metadata()
EFFECTS = METADATA.tables["effects"]
OUTBOX = METADATA.tables["outbox"]


@pytest.fixture
async def database(new_database: DatabaseFactory) -> AsyncIterator[Database]:
    database = Database(await new_database("kit"))
    async with database.engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def broker(infra: Infrastructure) -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(infra.broker_url)
    yield connection
    await connection.close()
