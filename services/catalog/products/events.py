"""Building the events raised about products and bulk imports (their classes are in `contracts.catalog`)."""

import uuid
from decimal import Decimal
from typing import Protocol, TypeVar

from contracts.catalog import CATALOG_ENTITY, PRODUCT_ENTITY, ProductSnapshot, ProductStatus
from kit.events import EntityRef

SnapshotT = TypeVar("SnapshotT", bound=ProductSnapshot)


def product_entity(product_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type=PRODUCT_ENTITY, id=str(product_id), version=version)


def catalog_entity(company_id: uuid.UUID, version: int) -> EntityRef:
    """The company's catalog as a whole: what an import acts on, at the version of its active-product count."""
    return EntityRef(type=CATALOG_ENTITY, id=str(company_id), version=version)


class ProductFields(Protocol):
    """A product's values: as stored, or as a change is about to write them."""

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


def product_event(event_class: type[SnapshotT], product: ProductFields, currency: str, **extra: object) -> SnapshotT:
    """`event_class` carrying `product` as it is after the change, plus the event's own fields."""
    return event_class.model_validate(
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
