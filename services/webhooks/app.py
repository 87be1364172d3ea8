"""The webhooks service's app: `create_app()` also serves as a uvicorn factory.

No public endpoints yet besides health: webhook endpoints and deliveries come with their issue.
"""

from pathlib import Path

from fastapi import FastAPI

from kit.bus import Bus
from kit.consumer import EventConsumer
from kit.purge import PurgePlan
from kit.service import ServiceSpec, create_service_app
from kit.settings import PlatformSettings
from services.webhooks.models import Base
from services.webhooks.settings import WebhooksSettings
from services.webhooks.tenants import events as tenant_events

consumer = EventConsumer("webhooks")
tenant_events.register(consumer)

SPEC = ServiceSpec(
    name="webhooks",
    title="Webhooks",
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    routers=[],
    consumer=consumer,
    purge=PurgePlan(tables=("tenants",)),
)


def create_app(
    settings: WebhooksSettings | None = None,
    platform: PlatformSettings | None = None,
    *,
    bus: Bus | None = None,
    run_relay: bool = False,
    run_worker: bool = False,
) -> FastAPI:
    settings = settings or WebhooksSettings()
    return create_service_app(
        SPEC,
        settings.database_url,
        platform or PlatformSettings(),
        bus=bus,
        run_relay=run_relay,
        run_worker=run_worker,
    )
