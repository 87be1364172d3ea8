"""Request and response bodies of the order endpoints, staff and storefront."""

import datetime as dt
import re
import uuid
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, Field, StrictInt, StringConstraints

from contracts.orders import Amount, OrderLine, OrderStatus, PlacedBy, ShippingAddress, StatusStep
from kit.schemas import MULTI_LINE, CamelModel, blank_is_none

MAX_LINES = 500
MAX_QUANTITY = 1_000_000

Quantity = Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY, description="Whole units, 1 to 1,000,000.")]
PoNumber = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None, AfterValidator(blank_is_none)
]
Notes = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None,
    MULTI_LINE,
    AfterValidator(blank_is_none),
]
Reason = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None, AfterValidator(blank_is_none)
]

# -- an address typed in for one order (the rules of identity's addresses) -----------------------------

COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")
COUNTRY_RULE = "Use the two-letter ISO 3166-1 country code, e.g. US, DE or GB."
ISO_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)


def country_code(value: str) -> str:
    if not COUNTRY_PATTERN.fullmatch(value) or value not in ISO_COUNTRIES:
        raise ValueError(COUNTRY_RULE)
    return value


OptionalText100 = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None, AfterValidator(blank_is_none)
]
AddressLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalAddressLine = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None, AfterValidator(blank_is_none)
]
City = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Country = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True),
    AfterValidator(country_code),
    Field(description=COUNTRY_RULE, json_schema_extra={"enum": sorted(ISO_COUNTRIES)}),
]
Phone = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None, AfterValidator(blank_is_none)
]


class AddressInput(CamelModel):
    """A shipping address typed in for this one order (staff), instead of one of the customer's."""

    label: OptionalText100 = None
    recipient: OptionalText100 = None
    line1: AddressLine
    line2: OptionalAddressLine = None
    city: City
    region: OptionalText100 = None
    postal_code: PostalCode
    country: Country
    phone: Phone = None

    def fields(self) -> dict[str, Any]:
        """The address as orders store and show it (the API's names)."""
        return self.model_dump(mode="json", by_alias=True)


# -- requests ----------------------------------------------------------------------------------------


class OrderItemInput(CamelModel):
    product_id: uuid.UUID
    quantity: Quantity


class OrderCreate(CamelModel):
    """A staff or integrator order: for a customer (their prices, one of their addresses or one typed in), or
    internal (no customer: list prices, an address typed in or none)."""

    customer_id: uuid.UUID | None = None
    items: Annotated[list[OrderItemInput], Field(min_length=1, max_length=MAX_LINES)]
    shipping_address_id: uuid.UUID | None = None
    shipping_address: AddressInput | None = None
    po_number: PoNumber = None
    notes: Notes = None
    requested_delivery_date: dt.date | None = None


class CheckoutRequest(CamelModel):
    """Place the signed-in account's cart as an order, at the total the buyer was shown."""

    shipping_address_id: uuid.UUID
    po_number: PoNumber = None
    notes: Notes = None
    requested_delivery_date: dt.date | None = None
    # The cart's total the buyer saw; if today's prices give another, nothing is placed (409).
    expected_total: Amount


class StatusChange(CamelModel):
    status: OrderStatus


class CancelRequest(CamelModel):
    reason: Reason = None


# -- responses ---------------------------------------------------------------------------------------


class OrderRead(CamelModel):
    id: uuid.UUID
    number: str
    status: OrderStatus
    customer_id: uuid.UUID | None
    customer_name: str | None
    placed_by: PlacedBy
    items: list[OrderLine]
    currency: str
    subtotal: Amount
    total: Amount
    shipping_address: ShippingAddress | None
    po_number: str | None
    notes: Annotated[str | None, MULTI_LINE]
    requested_delivery_date: dt.date | None
    # Why it was cancelled, when it was and a reason was given.
    cancel_reason: str | None
    status_history: list[StatusStep]
    created_at: dt.datetime
    updated_at: dt.datetime


class OrderSummary(CamelModel):
    """An order in a list: everything but its lines, history and address."""

    id: uuid.UUID
    number: str
    status: OrderStatus
    customer_id: uuid.UUID | None
    customer_name: str | None
    placed_by: PlacedBy
    currency: str
    subtotal: Amount
    total: Amount
    item_count: int
    po_number: str | None
    requested_delivery_date: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PriceChange(CamelModel):
    """A cart line at checkout whose price is not the one the buyer was shown."""

    product_id: uuid.UUID
    sku: str
    name: str
    # The price quoted when the line was last put in the cart (None for lines from before prices were kept).
    previous_unit_price: Amount | None = None
    unit_price: Amount
