"""The same service in embedded mode: SQLite, the in-process bus and an in-process Redis."""

import asyncio
import json
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

import fakeredis
from pydantic import SecretStr

from kit.bus import InProcessBus
from kit.context import ContextSigner, Principal
from kit.events import EventEnvelope
from kit.settings import PlatformSettings
from services.identity.app import create_app
from services.identity.settings import IdentitySettings
from tests.conftest import context_headers, start_app
from tests.identity.conftest import SIGNUP_EVENTS, signup_body
from tests.support.events import wait_until
from tests.support.purge import company_rows


async def test_signup_and_slug_change_work_on_sqlite_with_in_process_transports(tmp_path: Path) -> None:
    platform = PlatformSettings(internal_secret=SecretStr("s" * 48), namespace="embedded", outbox_poll_interval=0.05)
    signer = ContextSigner(platform.internal_secret.get_secret_value())
    bus = InProcessBus(retry_delays=[0.1])
    redis = fakeredis.FakeAsyncRedis(decode_responses=True)
    received: list[EventEnvelope] = []
    expected_count = 2 * len(SIGNUP_EVENTS) + 1
    all_received = asyncio.Event()

    async def collect(envelope: EventEnvelope) -> None:
        received.append(envelope)
        if len(received) >= expected_count:
            all_received.set()

    await bus.subscribe("embedded.test.events", ["#"], collect)
    settings = IdentitySettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}")
    app = create_app(settings, platform, bus=bus, redis=redis, run_relay=True)
    try:
        async with AsyncExitStack() as stack:
            client = await start_app(stack, app)
            anonymous = context_headers(signer, "identity")
            first = await client.post("/api/v1/signup", json=signup_body(), headers=anonymous)
            second = await client.post("/api/v1/signup", json=signup_body(), headers=anonymous)
            taken = await client.post(
                "/api/v1/signup", json=signup_body(email=first.json()["user"]["email"]), headers=anonymous
            )
            account = first.json()
            owner = context_headers(
                signer,
                "identity",
                company_id=uuid.UUID(account["company"]["id"]),
                principal=Principal(type="user", id=uuid.UUID(account["user"]["id"]), role="OWNER"),
            )
            renamed = await client.patch("/api/v1/company", json={"slug": "acme"}, headers=owner)
            async with asyncio.timeout(5):
                await all_received.wait()
    finally:
        await bus.close()

    assert (first.status_code, second.status_code, taken.status_code) == (201, 201, 409)
    assert second.json()["company"]["slug"] == "acme-distributors-2"
    assert renamed.status_code == 200
    assert [envelope.type for envelope in received] == [*SIGNUP_EVENTS, *SIGNUP_EVENTS, "CompanyUpdated"]
    assert await redis.get("embedded:storefront:acme-distributors") is None
    entry = await redis.get("embedded:storefront:acme")
    assert entry is not None
    assert json.loads(entry)["companyId"] == account["company"]["id"]


async def test_a_company_is_deleted_and_purged_on_sqlite_with_in_process_transports(tmp_path: Path) -> None:
    platform = PlatformSettings(internal_secret=SecretStr("s" * 48), namespace="embedded", outbox_poll_interval=0.05)
    signer = ContextSigner(platform.internal_secret.get_secret_value())
    bus = InProcessBus(retry_delays=[0.1])
    redis = fakeredis.FakeAsyncRedis(decode_responses=True)
    settings = IdentitySettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}")
    app = create_app(settings, platform, bus=bus, redis=redis, run_relay=True, run_worker=True)
    try:
        async with AsyncExitStack() as stack:
            client = await start_app(stack, app)
            account = (
                await client.post("/api/v1/signup", json=signup_body(), headers=context_headers(signer, "identity"))
            ).json()
            company_id = uuid.UUID(account["company"]["id"])
            owner = context_headers(
                signer,
                "identity",
                company_id=company_id,
                principal=Principal(type="user", id=uuid.UUID(account["user"]["id"]), role="OWNER"),
            )
            customer = (
                await client.post("/api/v1/customers", json={"email": "a@b.example", "name": "A"}, headers=owner)
            ).json()
            contact = {"email": "c@b.example", "role": "BUYER"}
            assert (
                await client.post(f"/api/v1/customers/{customer['id']}/contacts", json=contact, headers=owner)
            ).status_code == 201

            deleted = await client.request(
                "DELETE", "/api/v1/company", json={"confirmSlug": account["company"]["slug"]}, headers=owner
            )

            async def purged() -> bool:
                rows = await company_rows(settings.database_url, company_id)
                return all(count == 0 for count in rows.values())

            await wait_until(purged, what="the company's rows to be purged")
    finally:
        await bus.close()

    assert deleted.status_code == 202, deleted.text
    assert await redis.get(f"embedded:storefront:{account['company']['slug']}") is None
