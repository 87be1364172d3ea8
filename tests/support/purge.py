"""Count a company's rows in every table of a service's database that has a `company_id` column.

The tables come from the database itself (information_schema, or SQLite's catalogue), not from our
models, so a table a purge plan forgot still shows up here.
"""

import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool


def _async_url(database_url: str) -> str:
    url = make_url(database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+asyncpg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    return url.render_as_string(hide_password=False)


async def _company_tables(connection: AsyncConnection) -> list[str]:
    if connection.dialect.name == "postgresql":
        rows = await connection.execute(
            text(
                "SELECT table_name FROM information_schema.columns "
                "WHERE column_name = 'company_id' AND table_schema = current_schema() ORDER BY table_name"
            )
        )
        return [row.table_name for row in rows]
    names = [row.name for row in await connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
    found = []
    for name in sorted(names):
        columns = await connection.execute(text(f'PRAGMA table_info("{name}")'))
        if any(column.name == "company_id" for column in columns):
            found.append(name)
    return found


async def company_rows(database_url: str, company_id: uuid.UUID) -> dict[str, int]:
    """{table: rows of `company_id`} for every table having a company_id column."""
    engine = create_async_engine(_async_url(database_url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            counts = {}
            for table in await _company_tables(connection):
                # The table names come from the database's own catalogue, quoted.
                statement = text(f'SELECT count(*) FROM "{table}" WHERE company_id = :company')  # noqa: S608
                value = company_id if connection.dialect.name == "postgresql" else company_id.hex
                counts[table] = int(await connection.scalar(statement, {"company": value}) or 0)
            return counts
    finally:
        await engine.dispose()
