"""The audit service running against real PostgreSQL and RabbitMQ, and envelopes to feed it."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection

from kit.context import ContextSigner, Principal
from kit.db import Database, utcnow
from kit.events import Actor, EntityRef, EventEnvelope
from kit.settings import PlatformSettings
from services.audit.app import SPEC, create_app
from services.audit.settings import AuditSettings
from tests.conftest import DatabaseFactory, context_headers, start_app
from tests.infrastructure import Infrastructure
from tests.support.broker import EventPublisher, wait_for_queue


@dataclass
class AuditService:
    client: httpx.AsyncClient
    database: Database
    publisher: EventPublisher
    signer: ContextSigner
    platform: PlatformSettings

    def headers(self, company_id: uuid.UUID | None, principal: Principal | None = None) -> dict[str, str]:
        return context_headers(
            self.signer, "audit", company_id=company_id, principal=principal or staff(uuid.uuid4(), "OWNER")
        )

    async def entries(self, company_id: uuid.UUID, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get("/api/v1/audit-logs", params=params, headers=self.headers(company_id))
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def wait_for_entries(self, company_id: uuid.UUID, count: int, **params: Any) -> list[dict[str, Any]]:
        """The company's entries once at least `count` of them (matching `params`) have been consumed."""
        deadline = time.monotonic() + 15
        while True:
            items = await self.entries(company_id, limit=200, **params)
            if len(items) >= count or time.monotonic() > deadline:
                return items
            await asyncio.sleep(0.05)


def staff(user_id: uuid.UUID, role: str) -> Principal:
    return Principal(type="user", id=user_id, role=role)


def envelope(
    company_id: uuid.UUID | None,
    *,
    event_type: str = "CompanyUpdated",
    actor: Actor | None = None,
    entity: EntityRef | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    return EventEnvelope(
        type=event_type,
        version=1,
        occurred_at=occurred_at or utcnow(),
        company_id=company_id,
        actor=actor or Actor(type="USER", id=uuid.uuid4()),
        ip_address="198.51.100.23",
        request_id=uuid.uuid4().hex,
        entity=entity or EntityRef(type="Company", id=str(company_id)),
        data=data if data is not None else {"id": str(company_id), "name": "Acme Distributors"},
    )


@pytest.fixture(scope="module")
async def broker(infra: Infrastructure) -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(infra.broker_url)
    yield connection
    await connection.close()


@pytest.fixture
async def log(new_database: DatabaseFactory) -> AsyncIterator[Database]:
    """A migrated audit database with nobody consuming into it."""
    database = Database(await new_database("audit_log"))
    await database.upgrade(SPEC.migrations)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def audit(
    new_database: DatabaseFactory, platform: PlatformSettings, signer: ContextSigner, broker: AbstractRobustConnection
) -> AsyncIterator[AuditService]:
    url = await new_database("audit")
    async with AsyncExitStack() as stack:
        app = create_app(AuditSettings(database_url=url), platform, run_worker=True)
        client = await start_app(stack, app)
        # The consumer declares its dead-letter queue after binding: from then on no event is missed.
        await wait_for_queue(broker, f"{platform.namespace}.audit.events.dlq")
        yield AuditService(client, app.state.database, EventPublisher(broker, platform.namespace), signer, platform)
