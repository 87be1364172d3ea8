"""Response bodies of the storefront catalog."""

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from kit.pagination import Page
from kit.schemas import CamelModel
from services.catalog.models import Product
from services.catalog.money import Money


class StorefrontProduct(CamelModel):
    id: uuid.UUID
    sku: str
    name: str
    description: str | None
    unit_of_sale: str
    category: str | None
    image_url: str | None
    currency: str
    # Both null when the caller may not see prices (a guest, unless the company shows them to guests).
    list_price: Money | None
    # What the caller pays: their customer's own price when it has one, else the list price.
    price: Money | None
    has_custom_price: bool

    @classmethod
    def of(
        cls, product: Product | Row[Any], *, currency: str, prices_visible: bool, custom_price: Decimal | None
    ) -> "StorefrontProduct":
        # Built from our own stored values, so not validated again: the storefront's hottest path.
        return cls.model_construct(
            id=product.id,
            sku=product.sku,
            name=product.name,
            description=product.description,
            unit_of_sale=product.unit_of_sale,
            category=product.category,
            image_url=product.image_url,
            currency=currency,
            list_price=product.unit_price if prices_visible else None,
            price=(custom_price if custom_price is not None else product.unit_price) if prices_visible else None,
            has_custom_price=prices_visible and custom_price is not None,
        )


class StorefrontProductPage(Page[StorefrontProduct]):
    # False for guests when the company hides prices from them: the page says "Sign in to see your prices".
    prices_visible: bool
    currency: str


class CategoryList(CamelModel):
    # Categories of ACTIVE products, sorted.
    items: list[str]
