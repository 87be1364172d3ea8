"""The orders service's app: `create_app()` also serves as a uvicorn factory."""

from pathlib import Path

from fastapi import FastAPI

from kit.bus import Bus
from kit.consumer import EventConsumer
from kit.purge import PurgePlan
from kit.service import ServiceSpec, create_service_app
from kit.settings import PlatformSettings
from services.orders.cart import endpoints as cart_endpoints
from services.orders.catalog_copy import events as catalog_copy_events
from services.orders.directory import events as directory_events
from services.orders.documents import endpoints as document_endpoints
from services.orders.models import Base
from services.orders.orders import endpoints as order_endpoints
from services.orders.settings import OrdersSettings
from services.orders.tenants import endpoints as tenant_endpoints
from services.orders.tenants import events as tenant_events

consumer = EventConsumer("orders")
tenant_events.register(consumer)
catalog_copy_events.register(consumer)
directory_events.register(consumer)

SPEC = ServiceSpec(
    name="orders",
    title="Orders",
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    # The tenant endpoints first: `/api/v1/orders/limits` is theirs, never an order id.
    routers=[
        tenant_endpoints.router,
        order_endpoints.router,
        order_endpoints.storefront_router,
        cart_endpoints.router,
        document_endpoints.router,
        document_endpoints.storefront_router,
    ],
    consumer=consumer,
    # Children before their parents: a document's bytes, then the document (an order's refer to it), an order's
    # lines and status history, then the order.
    purge=PurgePlan(
        tables=(
            "cart_items",
            "document_chunks",
            "documents",
            "document_counters",
            "order_items",
            "order_status_changes",
            "orders",
            "order_counters",
            "price_overrides",
            "products",
            "addresses",
            "people",
            "customers",
            "tenants",
        )
    ),
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
