"""Usage identity does not count itself, taken from the events of the services that do (catalog's products,
orders' orders per month)."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.catalog import (
    ACTIVE_PRODUCT_COUNT_EVENTS,
    ProductArchived,
    ProductCreated,
    ProductDeleted,
    ProductRestored,
    ProductsImported,
)
from contracts.orders import OrderPlaced
from kit.consumer import EventConsumer
from kit.events import EventEnvelope
from services.identity.billing.repository import UsageRepository
from services.identity.billing.service import PRODUCTS_METRIC, orders_metric

ActiveProductCount = ProductCreated | ProductArchived | ProductRestored | ProductDeleted | ProductsImported
_CONTRACTS: dict[str, type[ActiveProductCount]] = {event.event_type: event for event in ACTIVE_PRODUCT_COUNT_EVENTS}


def register(consumer: EventConsumer) -> None:
    consumer.on(*ACTIVE_PRODUCT_COUNT_EVENTS)(on_active_products_changed)
    consumer.on(OrderPlaced)(on_orders_placed)


async def on_active_products_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Keep each company's newest count of active products: of a batch, only the highest
    `activeProductsVersion` per company is written, in one statement for all of them, and only over an
    older stored one, so late and repeated events never move it back."""
    newest: dict[uuid.UUID, tuple[int, int]] = {}
    for envelope in events:
        event = _CONTRACTS[envelope.type].model_validate(envelope.data)
        _keep_newest(newest, _company_of(envelope), event.active_products, event.active_products_version)
    await UsageRepository(session).record_newest(PRODUCTS_METRIC, newest)


async def on_orders_placed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Keep each company's newest count of orders of each month, as for products: one month's count per
    metric (`orders:2026-12`), so a new month starts at zero without a reset."""
    by_month: dict[str, dict[uuid.UUID, tuple[int, int]]] = {}
    for envelope in events:
        order = OrderPlaced.model_validate(envelope.data)
        newest = by_month.setdefault(order.month, {})
        _keep_newest(newest, _company_of(envelope), order.orders_this_month, order.orders_this_month_version)
    usage = UsageRepository(session)
    for month, newest in sorted(by_month.items()):
        await usage.record_newest(orders_metric(datetime.strptime(month, "%Y-%m")), newest)


def _company_of(envelope: EventEnvelope) -> uuid.UUID:
    if envelope.company_id is None:
        raise ValueError(f"{envelope.type} event {envelope.id} has no companyId")
    return envelope.company_id


def _keep_newest(newest: dict[uuid.UUID, tuple[int, int]], company_id: uuid.UUID, count: int, version: int) -> None:
    kept = newest.get(company_id)
    if kept is None or version >= kept[1]:
        newest[company_id] = (count, version)
