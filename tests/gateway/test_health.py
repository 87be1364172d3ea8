"""Liveness and readiness of the gateway."""

import uuid
from contextlib import AsyncExitStack

from gateway.app import create_app
from gateway.sessions import STAFF_COOKIE
from gateway.settings import GatewaySettings
from kit.settings import PlatformSettings
from tests.conftest import start_app
from tests.gateway.conftest import GatewayFactory, GatewayHarness


async def test_healthz(gateway: GatewayHarness) -> None:
    response = await gateway.client.get("/healthz")

    assert response.json() == {"status": "ok"}


async def test_ready_when_redis_and_every_service_answer(gateway: GatewayHarness) -> None:
    response = await gateway.client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {
        "redis": "ok",
        "identity": "ok",
        "catalog": "ok",
        "orders": "ok",
        "audit": "ok",
        "webhooks": "ok",
    }


async def test_not_ready_while_a_service_is_down(make_gateway: GatewayFactory) -> None:
    async with make_gateway(down=("webhooks",)) as gateway:
        response = await gateway.client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["checks"]["webhooks"].startswith("unavailable")
    assert response.json()["checks"]["identity"] == "ok"


async def test_redis_outage_is_a_503_problem_not_a_crash(platform: PlatformSettings) -> None:
    unreachable = platform.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"})
    app = create_app(GatewaySettings(), unreachable)
    async with AsyncExitStack() as stack:
        client = await start_app(stack, app)
        client.cookies.set(STAFF_COOKIE, f"{uuid.uuid4().hex}.{'a' * 43}")

        response = await client.get("/api/v1/me")
        ready = await client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"].startswith("unavailable")
