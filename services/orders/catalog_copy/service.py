"""Rules of orders' copy of catalog: every product event carries the whole product, so the newest version of
each wins; a deletion is the highest version a product or override ever has and stays as a tombstone, so an
older event arriving late cannot bring it back."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.catalog import (
    PriceOverrideRemoved,
    PriceOverrideSet,
    ProductArchived,
    ProductCreated,
    ProductDeleted,
    ProductRestored,
    ProductSnapshot,
    ProductUpdated,
)
from kit.consumer import newest_per_entity
from kit.db import utcnow
from kit.events import EventEnvelope
from services.orders.catalog_copy.repository import apply_price_override_states, apply_product_states
from services.orders.tenants.service import read_model_row

PRODUCT_SNAPSHOTS: dict[str, type[ProductSnapshot]] = {
    event.event_type: event for event in (ProductCreated, ProductUpdated, ProductArchived, ProductRestored)
}


async def record_products(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Each product's newest event of the batch, in one statement, where it is newer than what is stored."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for envelope in newest_per_entity(events):
        row = read_model_row(envelope, now)
        if envelope.type == ProductDeleted.event_type:
            deletion = ProductDeleted.model_validate(envelope.data)
            row |= {
                "id": deletion.id,
                "sku": None,
                "name": None,
                "unit_price": None,
                "currency": None,
                "unit_of_sale": None,
                "status": None,
                "deleted_at": envelope.occurred_at,
            }
        else:
            product = PRODUCT_SNAPSHOTS[envelope.type].model_validate(envelope.data)
            row |= {
                "id": product.id,
                "sku": product.sku,
                "name": product.name,
                "unit_price": product.unit_price,
                "currency": product.currency,
                "unit_of_sale": product.unit_of_sale,
                "status": product.status.value,
                "deleted_at": None,
            }
        rows.append(row)
    await apply_product_states(session, rows)


async def record_price_overrides(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Each override's newest event of the batch, in one statement; a removal keeps whose and which product
    it was, without a price."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for envelope in newest_per_entity(events):
        row = read_model_row(envelope, now)
        if envelope.type == PriceOverrideRemoved.event_type:
            removal = PriceOverrideRemoved.model_validate(envelope.data)
            row |= {
                "id": removal.id,
                "customer_id": removal.customer_id,
                "product_id": removal.product_id,
                "unit_price": None,
                "deleted_at": envelope.occurred_at,
            }
        else:
            override = PriceOverrideSet.model_validate(envelope.data)
            row |= {
                "id": override.id,
                "customer_id": override.customer_id,
                "product_id": override.product_id,
                "unit_price": override.unit_price,
                "deleted_at": None,
            }
        rows.append(row)
    await apply_price_override_states(session, rows)
