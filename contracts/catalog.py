"""The events catalog publishes: products (entity type `Product`), bulk imports (`Catalog`) and price overrides
(`PriceOverride`).

Product events carry the whole product, so a service keeping a copy can apply any of them as the product's
latest state (ordered by the envelope's `entity.version`). Those that change how many ACTIVE products the
company has carry `activeProducts` with `activeProductsVersion`, the version of that count: a consumer keeps
the count of the highest version it has seen.
"""

import enum
import uuid
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import Field, PlainSerializer, WithJsonSchema

from kit.events import Event

PRODUCT_ENTITY = "Product"
# The company's catalog as a whole: what an import acts on; its version is that of the active-product count.
CATALOG_ENTITY = "Catalog"
PRICE_OVERRIDE_ENTITY = "PriceOverride"

# A decimal string with two places ("12.50"), 0 <= amount < 10^10, in the company's currency.
Money = Annotated[
    Decimal,
    Field(ge=0, lt=10**10, decimal_places=2, allow_inf_nan=False),
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,10}\.[0-9]{2}$", "examples": ["12.50"]}),
]


class ProductStatus(enum.StrEnum):
    """ACTIVE products are sold and count toward maxProducts; ARCHIVED ones are kept but hidden."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class ProductSnapshot(Event):
    """The product as it is after the change: the fields of every product event but ProductDeleted."""

    id: uuid.UUID
    sku: str
    name: str
    description: str | None
    unit_price: Money
    currency: str
    unit_of_sale: str
    status: ProductStatus
    category: str | None
    image_url: str | None


class ProductCreated(ProductSnapshot):
    event_type: ClassVar[str] = "ProductCreated"

    # The company's ACTIVE products after the change, and that count's version; identity shows plan usage from it.
    active_products: int
    active_products_version: int


class ProductUpdated(ProductSnapshot):
    """Fields other than the status changed (a status change raises ProductArchived / ProductRestored)."""

    event_type: ClassVar[str] = "ProductUpdated"

    # Names of the fields that changed: "sku", "name", "description", "unitPrice", "unitOfSale",
    # "category", "imageUrl".
    changes: list[str]


class ProductArchived(ProductSnapshot):
    event_type: ClassVar[str] = "ProductArchived"

    active_products: int
    active_products_version: int


class ProductRestored(ProductSnapshot):
    event_type: ClassVar[str] = "ProductRestored"

    active_products: int
    active_products_version: int


class ProductDeleted(Event):
    """Its price overrides went with it (each raised PriceOverrideRemoved first)."""

    event_type: ClassVar[str] = "ProductDeleted"

    id: uuid.UUID
    sku: str
    active_products: int
    active_products_version: int


class ProductsImported(Event):
    """After the per-product events of one CSV import (entity `Catalog`, the company's id)."""

    event_type: ClassVar[str] = "ProductsImported"

    created: int
    updated: int
    active_products: int
    active_products_version: int


class PriceOverrideSet(Event):
    """A new override, or a new price for an existing one."""

    event_type: ClassVar[str] = "PriceOverrideSet"

    id: uuid.UUID
    customer_id: uuid.UUID
    product_id: uuid.UUID
    unit_price: Money
    currency: str


class PriceOverrideRemoved(Event):
    """Removed on request, or with its product or customer."""

    event_type: ClassVar[str] = "PriceOverrideRemoved"

    id: uuid.UUID
    customer_id: uuid.UUID
    product_id: uuid.UUID


# Catalog's events that change how many ACTIVE products a company has; each carries the count and its version.
ACTIVE_PRODUCT_COUNT_EVENTS = (ProductCreated, ProductArchived, ProductRestored, ProductDeleted, ProductsImported)

EVENTS = (
    ProductCreated,
    ProductUpdated,
    ProductArchived,
    ProductRestored,
    ProductDeleted,
    ProductsImported,
    PriceOverrideSet,
    PriceOverrideRemoved,
)
