"""Request and response bodies of the storefront cart."""

import uuid
from typing import Annotated

from pydantic import Field, StrictInt

from contracts.orders import Amount
from kit.schemas import CamelModel
from services.orders.orders.schemas import MAX_QUANTITY


class CartLine(CamelModel):
    product_id: uuid.UUID
    sku: str
    name: str
    unit_of_sale: str
    quantity: int
    # The customer's price now (their own, else the list price), and the list price.
    unit_price: Amount
    list_price: Amount
    line_total: Amount


class CartIssue(CamelModel):
    """A product in the cart that can no longer be ordered (archived or deleted): left out of the totals."""

    product_id: uuid.UUID
    message: str


class Cart(CamelModel):
    items: list[CartLine]
    # The catalog's currency; null while no line can be priced.
    currency: str | None
    subtotal: Amount
    total: Amount
    issues: list[CartIssue]


class CartQuantity(CamelModel):
    """The quantity wanted; 0 takes the product out of the cart."""

    quantity: Annotated[StrictInt, Field(ge=0, le=MAX_QUANTITY, description="Whole units, 0 to 1,000,000; 0 removes.")]


class UnavailableLine(CamelModel):
    """A line of the order that could not be put back in the cart, and why."""

    product_id: uuid.UUID
    sku: str
    name: str
    message: str


class ReorderResult(CamelModel):
    cart: Cart
    unavailable: list[UnavailableLine]
