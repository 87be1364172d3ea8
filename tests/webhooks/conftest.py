"""Webhooks' fixtures: the service on the real servers with a short retry schedule and loopback allowed, a
real receiver on 127.0.0.1, and a company's view of the API."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest

from kit.context import ContextSigner, Principal
from kit.settings import PlatformSettings
from services.webhooks.app import create_app
from services.webhooks.settings import WebhooksSettings
from tests.conftest import DatabaseFactory, context_headers, start_app
from tests.support.events import wait_until
from tests.support.services import RunningService, running_service
from tests.webhooks.receiver import Receiver

LOOPBACK = ["127.0.0.0/8"]
# Short enough for tests: retries 0.3 s apart, a 1 s timeout, a tight poll.
FAST: dict[str, Any] = {
    "allowed_networks": LOOPBACK,
    "retry_schedule_seconds": [0.3, 0.3, 0.3],
    "timeout_seconds": 1.0,
    "poll_interval_seconds": 0.1,
}


@pytest.fixture(scope="module")
async def webhooks_settings(new_database: DatabaseFactory) -> WebhooksSettings:
    return WebhooksSettings(database_url=await new_database("webhooks"), **FAST)


@pytest.fixture(scope="module")
async def webhooks(
    platform: PlatformSettings, webhooks_settings: WebhooksSettings, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    app = create_app(webhooks_settings, platform, run_worker=True)
    async with running_service("webhooks", app, platform, signer) as service:
        yield service


@asynccontextmanager
async def service_without_worker(
    settings: WebhooksSettings, platform: PlatformSettings, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    """The service with no worker: nothing sends or reseals unless a test runs the sender or the resealing."""
    app = create_app(settings, platform)
    async with AsyncExitStack() as stack:
        client = await start_app(stack, app)
        yield RunningService("webhooks", client, app.state.database, signer)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


class CompanyApi:
    """One company's staff owner calling the webhooks API (as the gateway would forward it)."""

    def __init__(self, service: RunningService, company_id: uuid.UUID | None = None) -> None:
        self.service = service
        self.company_id = company_id or uuid.uuid4()
        self.principal = Principal(type="user", id=uuid.uuid4(), role="OWNER")

    def headers(self) -> dict[str, str]:
        return context_headers(self.service.signer, "webhooks", company_id=self.company_id, principal=self.principal)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.service.client.request(method, path, headers=self.headers(), **kwargs)

    async def create(self, url: str, events: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        body = {"url": url, "events": events or ["*"], **fields}
        response = await self.request("POST", "/api/v1/webhooks", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def deliveries(self, webhook_id: str, **params: str) -> list[dict[str, Any]]:
        response = await self.request("GET", f"/api/v1/webhooks/{webhook_id}/deliveries", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def webhook(self, webhook_id: str) -> dict[str, Any]:
        response = await self.request("GET", f"/api/v1/webhooks/{webhook_id}")
        assert response.status_code == 200, response.text
        webhook: dict[str, Any] = response.json()
        return webhook

    async def wait_for_deliveries(
        self,
        webhook_id: str,
        done: Callable[[list[dict[str, Any]]], bool],
        *,
        within: float = 10.0,
        what: str = "deliveries",
    ) -> list[dict[str, Any]]:
        """Poll the webhook's deliveries until `done(deliveries)`; returns them."""

        async def check() -> list[dict[str, Any]] | None:
            deliveries = await self.deliveries(webhook_id)
            return deliveries if done(deliveries) else None

        return await wait_until(check, within=within, what=what)


@pytest.fixture
def company(webhooks: RunningService) -> CompanyApi:
    return CompanyApi(webhooks)


def statuses(deliveries: list[dict[str, Any]]) -> list[str]:
    return [delivery["status"] for delivery in deliveries]


def all_finished(count: int, status: str = "SUCCEEDED") -> Callable[[list[dict[str, Any]]], bool]:
    return lambda deliveries: len(deliveries) == count and all(d["status"] == status for d in deliveries)
