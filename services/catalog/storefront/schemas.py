"""Response bodies of the storefront catalog."""

import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import Row

from kit.pagination import Page
from kit.schemas import MULTI_LINE, CamelModel
from services.catalog.models import Product
from services.catalog.money import Money, money_text


class StorefrontProduct(CamelModel):
    id: uuid.UUID
    sku: str
    name: str
    description: Annotated[str | None, MULTI_LINE]
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
        # Built from our own stored values, so not validated again.
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


def storefront_page_json(
    rows: Sequence[Row[Any]], *, next_cursor: str | None, currency: str, prices_visible: bool
) -> bytes:
    """A StorefrontProductPage of the storefront page query's rows, written straight to JSON.

    The catalog page is the storefront's hottest path, and building 50 models to serialize them costs
    three times as much as this. The bytes are the ones pydantic writes for the model (the tests hold
    them to it), so the model stays the documented schema.
    """
    items = []
    for row in rows:
        unit_price, custom_price = row.unit_price, row.custom_price
        price = custom_price if custom_price is not None else unit_price
        items.append(
            {
                "id": str(row.id),
                "sku": row.sku,
                "name": row.name,
                "description": row.description,
                "unitOfSale": row.unit_of_sale,
                "category": row.category,
                "imageUrl": row.image_url,
                "currency": currency,
                "listPrice": money_text(unit_price) if prices_visible else None,
                "price": money_text(price) if prices_visible else None,
                "hasCustomPrice": prices_visible and custom_price is not None,
            }
        )
    page = {"items": items, "nextCursor": next_cursor, "pricesVisible": prices_visible, "currency": currency}
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
