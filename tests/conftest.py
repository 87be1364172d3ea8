"""Fixtures every test layer shares: real servers, fresh databases, settings and signed contexts."""

import json
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from kit.context import CONTEXT_HEADER, ContextSigner, Principal, RequestContext
from kit.settings import PlatformSettings
from services.webhooks.sealing import new_key
from tests import infrastructure
from tests.infrastructure import Infrastructure

RETRY_DELAYS = [0.1, 0.2, 0.3]

# Webhook signing secrets are sealed with this run's own key; the full topology's processes inherit it.
os.environ.setdefault("WEBHOOKS_SECRET_KEYS", json.dumps([new_key()]))

# The running systems (full topology, embedded mode) are shared by the e2e and browser tests.
pytest_plugins = ["tests.support.systems"]


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    with infrastructure.infrastructure() as servers:
        yield servers


@pytest.fixture(scope="session")
def run_id() -> str:
    return infrastructure.new_run_id()


@pytest.fixture(scope="session")
def platform(infra: Infrastructure, run_id: str) -> PlatformSettings:
    return PlatformSettings(
        broker_url=infra.broker_url,
        redis_url=infra.redis_url,
        internal_secret=SecretStr(secrets.token_urlsafe(48)),
        namespace=run_id,
        consumer_retry_delays=RETRY_DELAYS,
        outbox_poll_interval=0.05,
    )


@pytest.fixture(scope="session")
def signer(platform: PlatformSettings) -> ContextSigner:
    return ContextSigner(platform.internal_secret.get_secret_value())


DatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture(scope="session")
async def new_database(infra: Infrastructure, run_id: str) -> AsyncIterator[DatabaseFactory]:
    """Creates fresh databases named after the run; all are dropped when the run ends."""

    async def create(name: str) -> str:
        return await infrastructure.create_database(infra, f"{run_id}_{name}_{secrets.token_hex(3)}")

    yield create
    await infrastructure.drop_databases(infra, run_id)
    await infrastructure.delete_broker_namespace(infra, run_id, len(RETRY_DELAYS))


def context_headers(
    signer: ContextSigner,
    service: str,
    *,
    company_id: uuid.UUID | None = None,
    principal: Principal | None = None,
    client_ip: str = "203.0.113.7",
    internal: bool = False,
) -> dict[str, str]:
    """The header the gateway would forward to `service` for this caller (`internal`: its own lookups)."""
    context = RequestContext(
        company_id=company_id,
        principal=principal or Principal(type="anonymous"),
        client_ip=client_ip,
        request_id=uuid.uuid4().hex,
        internal=internal,
    )
    return {CONTEXT_HEADER: signer.sign(context, service)}


async def start_app(stack: AsyncExitStack, app: FastAPI) -> httpx.AsyncClient:
    """Run `app`'s lifespan on the stack and return a client that talks to it in-process."""
    await stack.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app)
    return await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://service"))
