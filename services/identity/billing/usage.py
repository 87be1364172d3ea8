"""Usage identity does not count itself, taken from the events of the services that do (catalog's products)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.catalog import (
    ACTIVE_PRODUCT_COUNT_EVENTS,
    ProductArchived,
    ProductCreated,
    ProductDeleted,
    ProductRestored,
    ProductsImported,
)
from kit.consumer import EventConsumer
from kit.events import EventEnvelope
from services.identity.billing.repository import UsageRepository
from services.identity.billing.service import PRODUCTS_METRIC

ActiveProductCount = ProductCreated | ProductArchived | ProductRestored | ProductDeleted | ProductsImported
_CONTRACTS: dict[str, type[ActiveProductCount]] = {event.event_type: event for event in ACTIVE_PRODUCT_COUNT_EVENTS}


def register(consumer: EventConsumer) -> None:
    consumer.on(*ACTIVE_PRODUCT_COUNT_EVENTS)(on_active_products_changed)


async def on_active_products_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Keep each company's newest count of active products: of a batch, only the highest
    `activeProductsVersion` per company is written, in one statement for all of them, and only over an
    older stored one, so late and repeated events never move it back."""
    newest: dict[uuid.UUID, tuple[int, int]] = {}
    for envelope in events:
        if envelope.company_id is None:
            raise ValueError(f"{envelope.type} event {envelope.id} has no companyId")
        event = _CONTRACTS[envelope.type].model_validate(envelope.data)
        kept = newest.get(envelope.company_id)
        if kept is None or event.active_products_version >= kept[1]:
            newest[envelope.company_id] = (event.active_products, event.active_products_version)
    await UsageRepository(session).record_newest(PRODUCTS_METRIC, newest)
