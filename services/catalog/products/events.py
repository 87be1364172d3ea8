"""Events raised about products (entity type `Product`) and bulk imports.

Product events carry the whole product, so a service keeping a copy (orders prices orders from its
own) can apply any of them as the product's latest state.
"""

import uuid
from decimal import Decimal
from typing import ClassVar, Protocol, Self

from kit.events import EntityRef, Event
from services.catalog.models import ProductStatus
from services.catalog.money import Money

ENTITY_TYPE = "Product"
CATALOG_ENTITY_TYPE = "Catalog"


def product_entity(product_id: uuid.UUID) -> EntityRef:
    return EntityRef(type=ENTITY_TYPE, id=str(product_id))


def catalog_entity(company_id: uuid.UUID) -> EntityRef:
    """The company's catalog as a whole: what an import acts on."""
    return EntityRef(type=CATALOG_ENTITY_TYPE, id=str(company_id))


class ProductFields(Protocol):
    """A product's values: the stored product, or what a bulk import is about to write."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def sku(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def unit_of_sale(self) -> str: ...
    @property
    def status(self) -> ProductStatus: ...
    @property
    def category(self) -> str | None: ...
    @property
    def image_url(self) -> str | None: ...


class ProductEvent(Event):
    """The product as it is after the change; the base of every product event but ProductDeleted."""

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

    @classmethod
    def of(cls, product: ProductFields, currency: str, **extra: object) -> Self:
        return cls.model_validate(
            {
                "id": product.id,
                "sku": product.sku,
                "name": product.name,
                "description": product.description,
                "unit_price": product.unit_price,
                "currency": currency,
                "unit_of_sale": product.unit_of_sale,
                "status": product.status,
                "category": product.category,
                "image_url": product.image_url,
                **extra,
            }
        )


class ProductCreated(ProductEvent):
    event_type: ClassVar[str] = "ProductCreated"

    # The company's ACTIVE products after the change; identity shows plan usage from it.
    active_products: int


class ProductUpdated(ProductEvent):
    """Fields other than the status changed (a status change raises ProductArchived / ProductRestored)."""

    event_type: ClassVar[str] = "ProductUpdated"

    # Names of the fields that changed: "sku", "name", "description", "unitPrice", "unitOfSale",
    # "category", "imageUrl".
    changes: list[str]


class ProductArchived(ProductEvent):
    event_type: ClassVar[str] = "ProductArchived"

    active_products: int


class ProductRestored(ProductEvent):
    event_type: ClassVar[str] = "ProductRestored"

    active_products: int


class ProductDeleted(Event):
    """Its price overrides went with it (each raised PriceOverrideRemoved first)."""

    event_type: ClassVar[str] = "ProductDeleted"

    id: uuid.UUID
    sku: str
    active_products: int


class ProductsImported(Event):
    """After the per-product events of one CSV import."""

    event_type: ClassVar[str] = "ProductsImported"

    created: int
    updated: int
    active_products: int
