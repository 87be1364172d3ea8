"""A service assembled by the kit: migrated at start, health and readiness, context required, one
transaction per request whose events leave only if it commits."""

import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import asyncpg
import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection
from fastapi import APIRouter, FastAPI
from sqlalchemy.engine import make_url

from kit.context import ContextSigner, Principal
from kit.events import EventEnvelope
from kit.service import create_service_app
from kit.settings import PlatformSettings
from tests.conftest import DatabaseFactory, context_headers, start_app
from tests.infrastructure import Infrastructure
from tests.kit.sample_service import SPEC, NoteWritten
from tests.support.broker import probe


@pytest.fixture
async def sample_url(new_database: DatabaseFactory) -> str:
    return await new_database("kitsample")


@pytest.fixture
async def sample(sample_url: str, platform: PlatformSettings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_service_app(SPEC, sample_url, platform, run_relay=True)
    async with AsyncExitStack() as stack:
        yield await start_app(stack, app)


def _headers(signer: ContextSigner, company_id: uuid.UUID) -> dict[str, str]:
    principal = Principal(type="user", id=uuid.uuid4(), role="OWNER")
    return context_headers(signer, "kitsample", company_id=company_id, principal=principal)


async def test_health_and_readiness_need_no_context(sample: httpx.AsyncClient) -> None:
    assert (await sample.get("/healthz")).json() == {"status": "ok"}
    ready = await sample.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


async def test_an_api_without_relay_or_worker_needs_no_broker_to_be_ready(
    sample_url: str, platform: PlatformSettings
) -> None:
    """Full mode's API process only writes; its worker and relay are processes of their own."""
    nowhere = platform.model_copy(update={"broker_url": "amqp://guest:guest@127.0.0.1:1/"})
    app: FastAPI = create_service_app(SPEC, sample_url, nowhere)
    async with AsyncExitStack() as stack:
        client = await start_app(stack, app)
        ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}


async def test_routes_and_openapi_refuse_calls_without_a_context(
    sample: httpx.AsyncClient, signer: ContextSigner
) -> None:
    for path in ("/notes", "/openapi.json"):
        response = await sample.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    gateway_lookup = context_headers(signer, "kitsample", internal=True)
    assert (await sample.get("/openapi.json", headers=gateway_lookup)).status_code == 200


async def test_a_committed_request_publishes_its_event(
    sample: httpx.AsyncClient, signer: ContextSigner, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    async with probe(broker, platform.namespace, [NoteWritten.routing_key()]) as watcher:
        response = await sample.post("/notes", json={"text": "hello"}, headers=_headers(signer, company_id))
        assert response.status_code == 201
        event = EventEnvelope.model_validate_json((await watcher.get()).body)
        assert await watcher.nothing_more(0.3)

    assert event.company_id == company_id
    assert event.data == {"id": response.json()["id"], "text": "hello"}


async def test_a_failed_request_keeps_neither_its_rows_nor_its_events(
    sample: httpx.AsyncClient, signer: ContextSigner, broker: AbstractRobustConnection, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    headers = _headers(signer, company_id)
    async with probe(broker, platform.namespace, [NoteWritten.routing_key()]) as watcher:
        response = await sample.post("/notes", json={"text": "doomed", "failAfterWrite": True}, headers=headers)
        assert response.status_code == 409
        assert await watcher.nothing_more(0.5)

    assert (await sample.get("/notes", headers=headers)).json() == []


async def test_a_read_session_runs_each_statement_on_its_own(sample: httpx.AsyncClient, signer: ContextSigner) -> None:
    headers = _headers(signer, uuid.uuid4())
    first, second = (await sample.get("/notes/statement-times/read-session", headers=headers)).json()
    assert first < second  # no transaction: each statement has its own now()
    first, second = (await sample.get("/notes/statement-times/session", headers=headers)).json()
    assert first == second  # one transaction: now() is its start


async def test_a_lost_database_connection_is_a_503_and_the_next_request_reconnects(
    sample_url: str, platform: PlatformSettings, signer: ContextSigner, infra: Infrastructure
) -> None:
    # No relay in this process: its polls would meet the dead connections first and renew the pool.
    app: FastAPI = create_service_app(SPEC, sample_url, platform)
    headers = _headers(signer, uuid.uuid4())
    async with AsyncExitStack() as stack:
        sample = await start_app(stack, app)
        assert (await sample.post("/notes", json={"text": "kept"}, headers=headers)).status_code == 201
        # What a database restart does to the connections the service keeps in its pool.
        admin = await asyncpg.connect(infra.postgres_url + "/postgres")
        try:
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
                make_url(sample_url).database,
            )
        finally:
            await admin.close()
        assert ended >= 1

        lost = await sample.get("/notes", headers=headers)
        assert lost.status_code == 503
        assert lost.headers["content-type"] == "application/problem+json"
        assert lost.headers["retry-after"] == "1"
        assert "try again" in lost.json()["detail"]

        again = await sample.get("/notes", headers=headers)
        assert again.status_code == 200
        assert [note["text"] for note in again.json()] == ["kept"]


async def test_openapi_answers_only_the_gateways_own_calls(sample: httpx.AsyncClient, signer: ContextSigner) -> None:
    response = await sample.get("/openapi.json", headers=_headers(signer, uuid.uuid4()))

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_service_with_a_route_that_declares_no_access_does_not_start(
    sample_url: str, platform: PlatformSettings
) -> None:
    router = APIRouter(prefix="/forgotten")

    @router.get("/trusting-the-gateway")
    async def trusting_the_gateway() -> None:
        return None

    spec = dataclasses.replace(SPEC, routers=[*SPEC.routers, router])
    with pytest.raises(ValueError, match="/forgotten/trusting-the-gateway"):
        create_service_app(spec, sample_url, platform)
