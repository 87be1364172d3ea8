"""Catalog's product and price override events, applied to orders' copy a batch at a time.

ProductsImported needs no handler: an import raises each product's own event too.
"""

from contracts.catalog import (
    PriceOverrideRemoved,
    PriceOverrideSet,
    ProductArchived,
    ProductCreated,
    ProductDeleted,
    ProductRestored,
    ProductUpdated,
)
from kit.consumer import EventConsumer
from services.orders.catalog_copy import service


def register(consumer: EventConsumer) -> None:
    # One handler per entity: the newest event of each product (or override) decides, whichever type it is.
    consumer.on(ProductCreated, ProductUpdated, ProductArchived, ProductRestored, ProductDeleted)(
        service.record_products
    )
    consumer.on(PriceOverrideSet, PriceOverrideRemoved)(service.record_price_overrides)
