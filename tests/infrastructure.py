"""Where tests find PostgreSQL, RabbitMQ and Redis, and how each test run gets fresh ones.

`make test` points the `DISTRIBU_TEST_*_URL` variables at the servers on their default ports.
Without them, and with Docker available, each is started in a throwaway container instead.
Every run gets its own databases, its own broker namespace and its own Redis key prefix.
"""

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg

from deploy.components import SERVICES
from kit.bus import delete_namespace


@dataclass(frozen=True)
class Infrastructure:
    postgres_url: str  # server URL without a database name: postgresql://user@host:port
    broker_url: str
    redis_url: str


@contextlib.contextmanager
def infrastructure() -> Iterator[Infrastructure]:
    with contextlib.ExitStack() as stack:
        postgres = os.environ.get("DISTRIBU_TEST_POSTGRES_URL") or _container(
            stack,
            "postgres:16-alpine",
            5432,
            "database system is ready to accept connections",
            env={"POSTGRES_HOST_AUTH_METHOD": "trust"},
            url="postgresql://postgres@{host}:{port}",
        )
        broker = os.environ.get("DISTRIBU_TEST_BROKER_URL") or _container(
            stack,
            "rabbitmq:3.13-alpine",
            5672,
            "Server startup complete",
            url="amqp://guest:guest@{host}:{port}/",
        )
        redis = os.environ.get("DISTRIBU_TEST_REDIS_URL") or _container(
            stack,
            "redis:7-alpine",
            6379,
            "Ready to accept connections",
            url="redis://{host}:{port}/0",
        )
        yield Infrastructure(postgres_url=postgres.rstrip("/"), broker_url=broker, redis_url=redis)


def _container(
    stack: contextlib.ExitStack, image: str, port: int, ready_log: str, *, url: str, env: dict[str, str] | None = None
) -> str:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    container = DockerContainer(image).with_exposed_ports(port)
    for key, value in (env or {}).items():
        container = container.with_env(key, value)
    stack.enter_context(container)
    wait_for_logs(container, ready_log, timeout=120)
    return url.format(host=container.get_container_host_ip(), port=container.get_exposed_port(port))


def new_run_id() -> str:
    return "t" + secrets.token_hex(5)


def database_url(infra: Infrastructure, name: str) -> str:
    return infra.postgres_url.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name


async def create_database(infra: Infrastructure, name: str) -> str:
    """A new empty database; returns its SQLAlchemy URL."""
    connection = await asyncpg.connect(infra.postgres_url + "/postgres")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return database_url(infra, name)


async def drop_databases(infra: Infrastructure, prefix: str) -> None:
    connection = await asyncpg.connect(infra.postgres_url + "/postgres")
    try:
        names = await connection.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "%")
        for row in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await connection.close()


async def delete_broker_namespace(infra: Infrastructure, namespace: str, retry_levels: int = 3) -> None:
    """Remove the exchange and every service queue a run declared under `namespace`."""
    await delete_namespace(infra.broker_url, namespace, SERVICES, retry_levels)
