"""What a running full topology holds, read where it lives: each service's database and Redis.

End-to-end tests act only through the gateway; these readers check the result where no API shows it
(read models, purged rows, directory entries in Redis).
"""

import uuid
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from contracts.redis import STOREFRONT_KEY_PREFIX, StorefrontEntry
from deploy.components import SERVICES
from tests.support.purge import company_rows
from tests.support.systems import RunningSystem

# Rows per table of each service's database that carry a company's id: {service: {table: rows}}.
CompanyRows = dict[str, dict[str, int]]


def topology_env(system: RunningSystem) -> Mapping[str, str]:
    assert system.topology is not None, "the full topology is needed: its databases and Redis are read"
    return system.topology.env


def database_urls(system: RunningSystem) -> dict[str, str]:
    env = topology_env(system)
    return {service: env[f"{service.upper()}_DATABASE_URL"] for service in SERVICES}


async def rows_everywhere(system: RunningSystem, company_id: uuid.UUID) -> CompanyRows:
    """Every table with a company_id column, in every service's database: the company's rows in each."""
    return {service: await company_rows(url, company_id) for service, url in database_urls(system).items()}


def nonzero(rows: CompanyRows) -> CompanyRows:
    return {service: {t: n for t, n in tables.items() if n} for service, tables in rows.items() if any(tables.values())}


async def fetch_one(database_url: str, sql: str, **params: Any) -> dict[str, Any] | None:
    """One row of a query on a service's database, as a dict (None when there is none)."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(text(sql), params)).mappings().first()
            return dict(row) if row is not None else None
    finally:
        await engine.dispose()


def redis_client(system: RunningSystem) -> Redis:
    return Redis.from_url(topology_env(system)["DISTRIBU_REDIS_URL"], decode_responses=True)


def redis_namespace(system: RunningSystem) -> str:
    return topology_env(system)["DISTRIBU_NAMESPACE"]


async def company_redis_keys(system: RunningSystem, company_id: uuid.UUID, *, also: tuple[str, ...] = ()) -> list[str]:
    """The system's Redis keys holding anything of a company: its id in the key's name or in its value, and
    the keys named in `also` that exist (API keys' last-use records are named by the key's hash alone).

    A key's value that names no company (the gateway's brief "no such API key" memo) is not the company's.
    """
    marker = str(company_id)
    found = []
    async with redis_client(system) as redis:
        async for key in redis.scan_iter(match=f"{redis_namespace(system)}:*", count=1000):
            if marker in key or await _value_names(redis, key, marker):
                found.append(key)
        for key in also:
            if await redis.exists(key):
                found.append(key)
    return sorted(set(found))


async def _value_names(redis: Redis, key: str, marker: str) -> bool:
    return await redis.type(key) == "string" and marker in (await redis.get(key) or "")


async def storefront_entry(system: RunningSystem, slug: str) -> StorefrontEntry | None:
    """The storefront directory's entry for a slug, as identity wrote it for the gateway."""
    async with redis_client(system) as redis:
        raw = await redis.get(f"{redis_namespace(system)}:{STOREFRONT_KEY_PREFIX}:{slug}")
    return StorefrontEntry.model_validate_json(raw) if raw is not None else None
