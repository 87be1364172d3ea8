"""The orders service's app: `create_app()` also serves as a uvicorn factory."""

from pathlib import Path

from fastapi import FastAPI

from kit.bus import Bus
from kit.consumer import EventConsumer
from kit.purge import PurgePlan
from kit.service import ServiceSpec, create_service_app
from kit.settings import PlatformSettings
from services.orders.models import Base
from services.orders.settings import OrdersSettings
from services.orders.tenants import endpoints as tenant_endpoints
from services.orders.tenants import events as tenant_events

consumer = EventConsumer("orders")
tenant_events.register(consumer)

SPEC = ServiceSpec(
    name="orders",
    title="Orders",
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    routers=[tenant_endpoints.router],
    consumer=consumer,
    purge=PurgePlan(tables=("tenants",)),
)


def create_app(
    settings: OrdersSettings | None = None,
    platform: PlatformSettings | None = None,
    *,
    bus: Bus | None = None,
    run_relay: bool = False,
    run_worker: bool = False,
) -> FastAPI:
    settings = settings or OrdersSettings()
    return create_service_app(
        SPEC,
        settings.database_url,
        platform or PlatformSettings(),
        bus=bus,
        run_relay=run_relay,
        run_worker=run_worker,
    )
