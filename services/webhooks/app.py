"""The webhooks service's app: `create_app()` also serves as a uvicorn factory.

Its worker consumes every event (a delivery per subscribed endpoint) and runs the sender and the pruner
beside it (`ServiceSpec.background`), in its own process in full mode and in-process in embedded mode.
"""

import dataclasses
from pathlib import Path

from fastapi import FastAPI

from kit.bus import Bus
from kit.consumer import EventConsumer
from kit.purge import PurgePlan
from kit.service import ServiceSpec, create_service_app
from kit.settings import PlatformSettings
from services.webhooks.deliveries import endpoints as delivery_endpoints
from services.webhooks.deliveries import events as delivery_events
from services.webhooks.deliveries.sender import background_work
from services.webhooks.endpoints import endpoints as webhook_endpoints
from services.webhooks.models import Base
from services.webhooks.settings import WebhooksSettings
from services.webhooks.tenants import events as tenant_events

consumer = EventConsumer("webhooks")
tenant_events.register(consumer)
delivery_events.register(consumer)

SPEC = ServiceSpec(
    name="webhooks",
    title="Webhooks",
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    routers=[webhook_endpoints.router, delivery_endpoints.router],
    consumer=consumer,
    # Children before their parents: attempts, deliveries, then the endpoints.
    purge=PurgePlan(tables=("webhook_attempts", "webhook_deliveries", "webhook_endpoints", "tenants")),
    # Settings read from the environment when the worker starts (`python -m services.webhooks worker`).
    background=background_work(),
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
    app = create_service_app(
        # An in-process worker (embedded mode, tests) sends with these settings.
        dataclasses.replace(SPEC, background=background_work(settings)),
        settings.database_url,
        platform or PlatformSettings(),
        bus=bus,
        run_relay=run_relay,
        run_worker=run_worker,
    )
    app.state.webhooks_settings = settings
    return app
