"""The identity service's app: `create_app()` (a uvicorn factory) and its `SPEC`."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from redis.asyncio import Redis

from contracts.identity import CompanyDeleted
from kit.bus import Bus
from kit.consumer import EventConsumer
from kit.purge import PurgePlan, schedule_purge
from kit.service import ServiceSpec, create_service_app
from kit.settings import PlatformSettings
from services.identity.accounts.endpoints import internal_router as principals_router
from services.identity.accounts.endpoints import router as accounts_router
from services.identity.accounts.principals import PrincipalDirectory
from services.identity.api_keys.directory import ApiKeyDirectory
from services.identity.api_keys.endpoints import internal_router as api_keys_internal_router
from services.identity.api_keys.endpoints import router as api_keys_router
from services.identity.billing import usage
from services.identity.billing.endpoints import router as billing_router
from services.identity.companies.directory import StorefrontDirectory
from services.identity.companies.endpoints import internal_router as storefronts_router
from services.identity.companies.endpoints import router as companies_router
from services.identity.customers.addresses.endpoints import router as addresses_router
from services.identity.customers.addresses.endpoints import storefront_router as storefront_addresses_router
from services.identity.customers.contacts.endpoints import router as contacts_router
from services.identity.customers.contacts.endpoints import storefront_router as storefront_contacts_router
from services.identity.customers.endpoints import router as customers_router
from services.identity.models import Base
from services.identity.settings import IdentitySettings
from services.identity.storefront.endpoints import router as storefront_accounts_router
from services.identity.team.endpoints import router as team_router

consumer = EventConsumer("identity")
usage.register(consumer)
consumer.on(CompanyDeleted)(schedule_purge)

SPEC = ServiceSpec(
    name="identity",
    title="Identity",
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    routers=[
        accounts_router,
        companies_router,
        billing_router,
        team_router,
        api_keys_router,
        customers_router,
        contacts_router,
        addresses_router,
        storefront_contacts_router,
        storefront_addresses_router,
        storefront_accounts_router,
        storefronts_router,
        principals_router,
        api_keys_internal_router,
    ],
    consumer=consumer,
    # Children first. Customers, contacts and addresses are what a deleted company leaves to purge (see
    # companies/deletion.py); the rest went with its row, and are listed so nothing is ever left behind.
    purge=PurgePlan(
        tables=(
            "addresses",
            "customer_contacts",
            "customers",
            "invites",
            "api_keys",
            "memberships",
            "usage_counters",
            "company_counters",
            "billing_profiles",
            "subscriptions",
        )
    ),
)


def create_app(
    settings: IdentitySettings | None = None,
    platform: PlatformSettings | None = None,
    *,
    bus: Bus | None = None,
    redis: "Redis | None" = None,
    run_relay: bool = False,
    run_worker: bool = False,
) -> FastAPI:
    """Identity's ASGI app. Embedded mode passes its shared bus and in-process Redis; full mode builds its own.

    `run_worker` consumes events in this process (embedded mode, tests); full mode runs `worker` apart.
    """
    settings = settings or IdentitySettings()
    platform = platform or PlatformSettings()

    @contextlib.asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        client = redis if redis is not None else Redis.from_url(platform.redis_url)
        app.state.storefront_directory = StorefrontDirectory(client, platform.namespace)
        app.state.principal_directory = PrincipalDirectory(client, platform.namespace)
        app.state.api_key_directory = ApiKeyDirectory(client, platform.namespace)
        try:
            yield
        finally:
            if redis is None:
                await client.aclose()

    app = create_service_app(
        SPEC,
        settings.database_url,
        platform,
        bus=bus,
        run_relay=run_relay,
        run_worker=run_worker,
        resources=resources,
    )
    app.state.settings = settings
    return app
