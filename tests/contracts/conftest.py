"""The producers (identity, catalog) driven through flows that raise every event type, and what they wrote.

Identity runs with its relay, so its events reach catalog's worker over RabbitMQ exactly as in production:
catalog then knows the company and customer its own flows need.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from kit.context import ContextSigner
from kit.events import EventEnvelope
from kit.settings import PlatformSettings
from services.catalog.app import SPEC as CATALOG
from services.identity.app import SPEC as IDENTITY
from services.identity.app import create_app as create_identity_app
from services.identity.settings import IdentitySettings
from tests.catalog.conftest import catalog  # noqa: F401 (the fixture, for this directory's tests)
from tests.catalog.support import Catalog
from tests.conftest import DatabaseFactory, start_app
from tests.contracts.flows import catalog_flows, identity_flows
from tests.identity.conftest import Identity
from tests.support.events import wait_until_processed


@dataclass(frozen=True)
class Produced:
    """What each producer wrote to its outbox while the flows ran, oldest first."""

    by_service: dict[str, list[EventEnvelope]]
    # The identity database the events were produced in: the company they are about exists there.
    identity: Identity


@pytest.fixture(scope="module")
async def contract_identity(
    new_database: DatabaseFactory, platform: PlatformSettings, signer: ContextSigner
) -> AsyncIterator[Identity]:
    """Identity for the whole module (the flows run once), with its relay publishing to RabbitMQ."""
    settings = IdentitySettings(database_url=await new_database("contracts_identity"))
    app = create_identity_app(settings, platform, run_relay=True)
    redis = Redis.from_url(platform.redis_url, decode_responses=True)
    async with AsyncExitStack() as stack:
        client = await start_app(stack, app)
        yield Identity(client=client, database=app.state.database, redis=redis, signer=signer, platform=platform)
    async for key in redis.scan_iter(match=f"{platform.namespace}:*"):
        await redis.delete(key)
    await redis.aclose()


async def every_event(identity: Identity) -> list[EventEnvelope]:
    """Every event in identity's outbox (this module's own database), oldest first: those of the flows'
    companies and those that belong to none."""
    outbox = IDENTITY.metadata.tables["outbox"]
    async with identity.database.sessionmaker() as session:
        payloads = (await session.scalars(select(outbox.c.payload).order_by(outbox.c.created_at, outbox.c.id))).all()
    return [EventEnvelope.model_validate(payload) for payload in payloads]


@pytest.fixture(scope="module")
async def produced(contract_identity: Identity, catalog: Catalog) -> Produced:  # noqa: F811 (the fixture above)
    identity = contract_identity
    account = await identity_flows(identity)
    company_id = uuid.UUID(account.company_id)

    # Catalog learns of the company and the customer from identity's own events, through the broker.
    identity_events = await every_event(identity)
    needed = [
        envelope
        for envelope in identity_events
        if envelope.company_id == company_id and envelope.type in ("CompanyCreated", "TrialStarted", "CustomerCreated")
    ]
    await wait_until_processed(catalog.service.database, CATALOG.metadata, *needed)
    await catalog_flows(catalog, company_id, uuid.UUID(account.customer_id))

    return Produced(
        by_service={"identity": await every_event(identity), "catalog": await catalog.events(company_id)},
        identity=identity,
    )
