"""`make up` creates the databases it needs, once."""

import secrets

from deploy.local import ensure_databases
from tests import infrastructure
from tests.infrastructure import Infrastructure


async def test_missing_databases_are_created_and_existing_ones_left_alone(infra: Infrastructure, run_id: str):
    name = f"{run_id}_ensure_{secrets.token_hex(3)}"
    url = infrastructure.database_url(infra, name)
    try:
        assert await ensure_databases([url]) == [name]
        assert await ensure_databases([url]) == []
    finally:
        await infrastructure.drop_databases(infra, name)


async def test_sqlite_urls_need_no_database_server():
    assert await ensure_databases(["sqlite+aiosqlite:///tmp/never-created.db"]) == []
