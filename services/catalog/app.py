"""The catalog service's app: `create_app()` also serves as a uvicorn factory."""

from pathlib import Path

from fastapi import FastAPI

from contracts.identity import CompanyDeleted
from kit.bus import Bus
from kit.consumer import EventConsumer
from kit.purge import PurgePlan, schedule_purge
from kit.service import ServiceSpec, create_service_app
from kit.settings import PlatformSettings
from services.catalog.customers import events as customer_events
from services.catalog.models import Base
from services.catalog.price_overrides import endpoints as price_override_endpoints
from services.catalog.products import endpoints as product_endpoints
from services.catalog.settings import CatalogSettings
from services.catalog.storefront import endpoints as storefront_endpoints
from services.catalog.tenants import endpoints as tenant_endpoints
from services.catalog.tenants import events as tenant_events

consumer = EventConsumer("catalog")
tenant_events.register(consumer)
customer_events.register(consumer)
consumer.on(CompanyDeleted)(schedule_purge)

SPEC = ServiceSpec(
    name="catalog",
    title="Catalog",
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    routers=[
        tenant_endpoints.router,
        product_endpoints.router,
        price_override_endpoints.router,
        storefront_endpoints.router,
    ],
    consumer=consumer,
    # Every table with company rows, children first.
    purge=PurgePlan(tables=("price_overrides", "products", "product_counters", "customers", "tenants")),
)


def create_app(
    settings: CatalogSettings | None = None,
    platform: PlatformSettings | None = None,
    *,
    bus: Bus | None = None,
    run_relay: bool = False,
    run_worker: bool = False,
) -> FastAPI:
    settings = settings or CatalogSettings()
    return create_service_app(
        SPEC,
        settings.database_url,
        platform or PlatformSettings(),
        bus=bus,
        run_relay=run_relay,
        run_worker=run_worker,
    )
