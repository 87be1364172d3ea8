"""Identity test fixtures: one service per test module on a fresh PostgreSQL database, real RabbitMQ and Redis;
each test signs up companies of its own and looks only at them."""

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import Text, cast, func, select

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


# A company as tests hold it: a signup response, or its id.
Company = dict[str, Any] | uuid.UUID | str


def company_id_of(company: Company) -> uuid.UUID:
    if isinstance(company, dict):
        return uuid.UUID(company["company"]["id"])
    return uuid.UUID(str(company))


def unique(text: str) -> str:
    """`text` with a tag of its own: names and slugs stay unique among the module's companies."""
    return f"{text} {uuid.uuid4().hex[:8]}"


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

    async def events(self, company: Company) -> list[EventEnvelope]:
        """The company's events in the outbox, oldest first."""
        outbox = Base.metadata.tables["outbox"]
        statement = (
            select(outbox.c.payload)
            .where(outbox.c.company_id == company_id_of(company))
            .order_by(outbox.c.created_at, outbox.c.id)
        )
        async with self.database.sessionmaker() as session:
            payloads = (await session.scalars(statement)).all()
        return [EventEnvelope.model_validate(payload) for payload in payloads]

    async def events_naming(self, text: str) -> list[EventEnvelope]:
        """Events whose JSON holds `text` (an email, say), for what was refused before it had a company."""
        outbox = Base.metadata.tables["outbox"]
        statement = select(outbox.c.payload).where(cast(outbox.c.payload, Text).contains(text))
        async with self.database.sessionmaker() as session:
            payloads = (await session.scalars(statement)).all()
        return [EventEnvelope.model_validate(payload) for payload in payloads]

    async def row_counts(self, company: Company, *emails: str) -> dict[str, int]:
        """The company's rows in each of identity's tables that hold them, and the users with `emails`."""
        company_id = company_id_of(company)
        users = Base.metadata.tables["users"]
        counts = {}
        async with self.database.sessionmaker() as session:
            statement = select(func.count()).select_from(users)
            statement = statement.where(func.lower(users.c.email).in_([email.lower() for email in emails]))
            counts["users"] = int(await session.scalar(statement) or 0)
            companies = Base.metadata.tables["companies"]
            statement = select(func.count()).select_from(companies).where(companies.c.id == company_id)
            counts["companies"] = int(await session.scalar(statement) or 0)
            for table in Base.metadata.sorted_tables:
                if "company_id" in table.c:
                    statement = select(func.count()).select_from(table).where(table.c.company_id == company_id)
                    counts[table.name] = int(await session.scalar(statement) or 0)
        return counts

    async def signup_rows(self, body: dict[str, str]) -> dict[str, int]:
        """Companies with the name and users with the email of a signup `body` (give it a company name of its
        own); a field the body lacks counts nothing."""
        companies, users = Base.metadata.tables["companies"], Base.metadata.tables["users"]
        named = select(func.count()).select_from(companies).where(companies.c.name == body.get("companyName"))
        emailed = select(func.count()).select_from(users)
        emailed = emailed.where(func.lower(users.c.email) == body.get("email", "").lower())
        # PostgreSQL text cannot hold a NUL: an email with one was never stored (nor can it be looked up).
        has_email = "email" in body and "\x00" not in body["email"]
        async with self.database.sessionmaker() as session:
            return {
                "companies": int(await session.scalar(named) or 0) if "companyName" in body else 0,
                "users": int(await session.scalar(emailed) or 0) if has_email else 0,
            }


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


# One service (and database) per module, as catalog's and audit's: starting one per test was most of the
# suite's time. Tests share it by signing up companies of their own and looking only at those.
@pytest.fixture(scope="module")
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
