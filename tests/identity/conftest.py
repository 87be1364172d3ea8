"""Identity test fixtures: the service on a fresh PostgreSQL database, real RabbitMQ and Redis."""

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import func, select

from kit.context import ContextSigner, Principal
from kit.db import Database
from kit.events import EventEnvelope
from kit.settings import PlatformSettings
from services.identity.app import create_app
from services.identity.models import Base
from services.identity.settings import IdentitySettings
from tests.conftest import DatabaseFactory, context_headers, start_app

SERVICE = "identity"
SIGNUP_EVENTS = ["CompanyCreated", "UserCreated", "MembershipCreated", "TrialStarted"]


@dataclass
class Identity:
    """A running identity service and what its tests need to drive and inspect it."""

    client: httpx.AsyncClient
    database: Database
    redis: "Redis"
    signer: ContextSigner
    platform: PlatformSettings
    # The app itself, for tests that put the gateway's own clients in front of it.
    app: FastAPI | None = None

    def anonymous(self, **kwargs: Any) -> dict[str, str]:
        return context_headers(self.signer, SERVICE, **kwargs)

    def staff(self, company_id: uuid.UUID | str, user_id: uuid.UUID | str, role: str = "OWNER") -> dict[str, str]:
        return context_headers(
            self.signer,
            SERVICE,
            company_id=uuid.UUID(str(company_id)),
            principal=Principal(type="user", id=uuid.UUID(str(user_id)), role=role),
        )

    def owner_of(self, account: dict[str, Any]) -> dict[str, str]:
        """Headers for the owner created by a signup response."""
        return self.staff(account["company"]["id"], account["user"]["id"], account["role"])

    def storefront_key(self, slug: str) -> str:
        return f"{self.platform.namespace}:storefront:{slug}"

    async def signup(self, **overrides: str) -> dict[str, Any]:
        body = signup_body(**overrides)
        response = await self.client.post("/api/v1/signup", json=body, headers=self.anonymous())
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def events(self) -> list[EventEnvelope]:
        """Every event in the outbox, oldest first."""
        outbox = Base.metadata.tables["outbox"]
        async with self.database.sessionmaker() as session:
            rows = (await session.execute(select(outbox.c.payload).order_by(outbox.c.created_at, outbox.c.id))).all()
        return [EventEnvelope.model_validate(row.payload) for row in rows]

    async def row_counts(self) -> dict[str, int]:
        counts = {}
        async with self.database.sessionmaker() as session:
            for name in ("companies", "users", "memberships", "subscriptions", "outbox"):
                table = Base.metadata.tables[name]
                counts[name] = int(await session.scalar(select(func.count()).select_from(table)) or 0)
        return counts


def signup_body(**overrides: str) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    body = {
        "companyName": "Acme Distributors",
        "name": "Ada Owner",
        "email": f"ada-{suffix}@example.com",
        "password": "correct horse battery",
    }
    body.update(overrides)
    return body


@pytest.fixture
async def identity(
    new_database: DatabaseFactory, platform: PlatformSettings, signer: ContextSigner
) -> AsyncIterator[Identity]:
    settings = IdentitySettings(database_url=await new_database("identity"))
    app = create_app(settings, platform, run_relay=True, run_worker=True)
    redis = Redis.from_url(platform.redis_url, decode_responses=True)
    async with AsyncExitStack() as stack:
        client = await start_app(stack, app)
        yield Identity(
            client=client, app=app, database=app.state.database, redis=redis, signer=signer, platform=platform
        )
    async for key in redis.scan_iter(match=f"{platform.namespace}:storefront:*"):
        await redis.delete(key)
    await redis.aclose()
