"""Request and response bodies of the product endpoints, and the field rules the CSV import shares."""

import uuid
from datetime import datetime
from typing import Annotated, Protocol
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints

from kit.schemas import MULTI_LINE, CamelModel, blank_is_none
from services.catalog.models import ProductStatus
from services.catalog.money import CurrencyCode, Money
from services.catalog.products.events import ProductFields

SKU_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./")
DEFAULT_UNIT_OF_SALE = "each"


def sku_characters(value: str) -> str:
    if not set(value) <= SKU_CHARACTERS:
        raise ValueError("A SKU may contain only letters, digits and - _ . /")
    return value


def web_address(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(char.isspace() for char in value):
        raise ValueError("Use a web address starting with http:// or https://")
    return value


Sku = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(sku_characters),
    # SKU_CHARACTERS, for the API document.
    Field(json_schema_extra={"pattern": r"^[A-Za-z0-9._/-]+$"}),
]
ProductName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
UnitOfSale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
# The one multi-line text of a product (kit.schemas.MULTI_LINE: tabs and line breaks allowed).
Description = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None,
    MULTI_LINE,
    AfterValidator(blank_is_none),
]
Category = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None, AfterValidator(blank_is_none)
]
# `web_address` as a pattern, for the API document: http(s), a host, no spaces or control characters.
IMAGE_URL_PATTERN = r"^(https?://[^\s\x00-\x1f\x7f-\x9f/?#\[\]]+[^\s\x00-\x1f\x7f-\x9f]*)?$"
ImageUrl = Annotated[
    Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=2000),
        Field(json_schema_extra={"pattern": IMAGE_URL_PATTERN}),
    ]
    | None,
    AfterValidator(blank_is_none),
    AfterValidator(web_address),
]


class ProductCreate(CamelModel):
    sku: Sku
    name: ProductName
    description: Description = None
    unit_price: Money
    # Optional; when sent it must be the company's currency.
    currency: CurrencyCode | None = None
    unit_of_sale: UnitOfSale = DEFAULT_UNIT_OF_SALE
    status: ProductStatus = ProductStatus.ACTIVE
    category: Category = None
    image_url: ImageUrl = None


class ProductUpdate(CamelModel):
    """Fields left out stay as they are; so do sku, name, unitPrice and unitOfSale when null.

    description, category and imageUrl are cleared by null or blank. A status change archives or
    restores the product, as the archive and restore endpoints do.
    """

    sku: Sku | None = None
    name: ProductName | None = None
    description: Description = None
    unit_price: Money | None = None
    currency: CurrencyCode | None = None
    unit_of_sale: UnitOfSale | None = None
    status: ProductStatus | None = None
    category: Category = None
    image_url: ImageUrl = None


class StoredProduct(ProductFields, Protocol):
    """A product as stored: the ORM row, or the values a Core statement wrote or read."""

    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


class ProductRead(CamelModel):
    id: uuid.UUID
    sku: str
    name: str
    description: Annotated[str | None, MULTI_LINE]
    unit_price: Money
    # The company's currency, in which every catalog price is.
    currency: str
    unit_of_sale: str
    status: ProductStatus
    category: str | None
    image_url: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: StoredProduct, currency: str) -> "ProductRead":
        return cls(
            id=product.id,
            sku=product.sku,
            name=product.name,
            description=product.description,
            unit_price=product.unit_price,
            currency=currency,
            unit_of_sale=product.unit_of_sale,
            status=product.status,
            category=product.category,
            image_url=product.image_url,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )


class ImportRow(CamelModel):
    """One CSV row as the import validates it: a column the file leaves out (or a blank unitOfSale or
    status) is None here, meaning "unchanged" for an existing SKU and "the default" for a new one."""

    sku: Sku
    name: ProductName | None = None
    description: Description = None
    unit_price: Money | None = None
    unit_of_sale: UnitOfSale | None = None
    status: ProductStatus | None = None
    category: Category = None
    image_url: ImageUrl = None


class ImportResult(CamelModel):
    created: int
    # Existing SKUs the file changed; rows equal to the catalog already count as unchanged.
    updated: int
    unchanged: int


class ImportRowError(CamelModel):
    # The CSV line the row starts on; the header is line 1.
    line: int
    field: str
    message: str
