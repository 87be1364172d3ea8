"""Request and response bodies of the price override endpoints."""

import uuid
from datetime import datetime

from kit.schemas import CamelModel
from services.catalog.models import Customer, PriceOverride, Product
from services.catalog.money import CurrencyCode, Money


class PriceOverrideCreate(CamelModel):
    customer_id: uuid.UUID
    product_id: uuid.UUID
    unit_price: Money
    # Optional; when sent it must be the company's currency.
    currency: CurrencyCode | None = None


class PriceOverrideUpdate(CamelModel):
    unit_price: Money
    currency: CurrencyCode | None = None


class PriceOverrideRead(CamelModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    product_id: uuid.UUID
    # What the customer (and each of its contacts) pays per unit of the product.
    unit_price: Money
    currency: str
    # The product and customer as they are now, so a list reads without further calls.
    product_sku: str
    product_name: str
    list_price: Money
    customer_name: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, override: PriceOverride, *, product: Product, customer: Customer | None, currency: str
    ) -> "PriceOverrideRead":
        return cls(
            id=override.id,
            customer_id=override.customer_id,
            product_id=override.product_id,
            unit_price=override.unit_price,
            currency=currency,
            product_sku=product.sku,
            product_name=product.name,
            list_price=product.unit_price,
            customer_name=customer.name if customer is not None else None,
            created_at=override.created_at,
            updated_at=override.updated_at,
        )
