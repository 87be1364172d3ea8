"""What a product costs a customer, from orders' copy of catalog: its own price if it has one, else the list price."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from contracts.catalog import ProductStatus
from kit.db import ReadOnlySession
from services.orders.catalog_copy.repository import priced_rows


@dataclass(frozen=True)
class PricedProduct:
    id: uuid.UUID
    sku: str
    name: str
    unit_of_sale: str
    currency: str
    list_price: Decimal
    # The customer's override, else the list price.
    unit_price: Decimal
    # ACTIVE and not deleted: an archived product is priced but cannot be ordered.
    orderable: bool


async def price_products(
    session: ReadOnlySession,
    company_id: uuid.UUID,
    product_ids: Sequence[uuid.UUID],
    customer_id: uuid.UUID | None,
) -> dict[uuid.UUID, PricedProduct]:
    """The company's products among `product_ids` priced for `customer_id` (list prices when None), by id.

    Unknown and deleted products are absent; archived ones are present with `orderable=False`.
    """
    if not product_ids:
        return {}
    priced: dict[uuid.UUID, PricedProduct] = {}
    for row in await priced_rows(session, company_id, product_ids, customer_id):
        list_price: Decimal = row.unit_price
        priced[row.id] = PricedProduct(
            id=row.id,
            sku=row.sku,
            name=row.name,
            unit_of_sale=row.unit_of_sale,
            currency=row.currency,
            list_price=list_price,
            unit_price=row.override_price if row.override_price is not None else list_price,
            orderable=row.status == ProductStatus.ACTIVE,
        )
    return priced
