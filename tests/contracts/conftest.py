"""The producers (identity, catalog, orders, webhooks) driven through flows that raise every event type, and what
they wrote.

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
from services.orders.app import SPEC as ORDERS
from services.webhooks.app import create_app as create_webhooks_app
from services.webhooks.settings import WebhooksSettings
from tests.catalog.conftest import catalog  # noqa: F401 (the fixture, for this directory's tests)
from tests.catalog.support import Catalog
from tests.conftest import DatabaseFactory, start_app
from tests.contracts.flows import catalog_flows, identity_flows, orders_flows, webhooks_flows
from tests.identity.conftest import Identity
from tests.orders.conftest import orders  # noqa: F401 (the fixture, for this directory's tests)
from tests.support.events import publish_event, wait_until_processed
from tests.support.services import RunningService


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
async def contract_webhooks(
    new_database: DatabaseFactory, platform: PlatformSettings, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    """Webhooks for the whole module, as a producer only: its API writes its events to its outbox."""
    app = create_webhooks_app(WebhooksSettings(database_url=await new_database("contracts_webhooks")), platform)
    async with AsyncExitStack() as stack:
        client = await start_app(stack, app)
        yield RunningService("webhooks", client, app.state.database, signer)


@pytest.fixture(scope="module")
async def produced(
    contract_identity: Identity,
    catalog: Catalog,  # noqa: F811 (the fixture above)
    orders: RunningService,  # noqa: F811 (the fixture above)
    contract_webhooks: RunningService,
    platform: PlatformSettings,
) -> Produced:
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

    # Orders learns the company, customer and products from both producers' events (catalog's relayed by hand:
    # its fixture runs no relay), then raises its own.
    catalog_events = await catalog.events(company_id)
    await publish_event(platform, *catalog_events)
    [restored] = [envelope for envelope in catalog_events if envelope.type == "ProductRestored"]
    await wait_until_processed(orders.database, ORDERS.metadata, *needed, restored)
    await orders_flows(orders, company_id, uuid.UUID(account.customer_id), restored.entity.id)
    await webhooks_flows(contract_webhooks, company_id)

    return Produced(
        by_service={
            "identity": await every_event(identity),
            "catalog": catalog_events,
            "orders": await outbox_events(orders, company_id),
            "webhooks": await outbox_events(contract_webhooks, company_id),
        },
        identity=identity,
    )


async def outbox_events(service: RunningService, company_id: uuid.UUID) -> list[EventEnvelope]:
    """A service's events about `company_id` in its outbox, oldest first."""
    outbox = ORDERS.metadata.tables["outbox"]
    statement = (
        select(outbox.c.payload).where(outbox.c.company_id == company_id).order_by(outbox.c.created_at, outbox.c.id)
    )
    async with service.database.sessionmaker() as session:
        payloads = (await session.scalars(statement)).all()
    return [EventEnvelope.model_validate(payload) for payload in payloads]
