"""The events orders publishes about orders (entity type `Order`).

`OrderPlaced` carries the whole order, so the audit log, webhooks and any consumer act without calling
back; the status events name the order, its customer and the step. Every one names `customerId` (None
for an internal order). Entity versions order them: 1 at placement, +1 with each later event.
"""

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import Field, PlainSerializer, WithJsonSchema

from kit.events import Event
from kit.schemas import CamelModel

ORDER_ENTITY = "Order"

# A decimal string with two places ("12.50"): prices, line totals and order totals.
Amount = Annotated[
    Decimal,
    Field(ge=0, decimal_places=2, allow_inf_nan=False),
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$", "examples": ["12.50"]}),
]


class OrderStatus(enum.StrEnum):
    """PENDING → CONFIRMED → SHIPPED → DELIVERED; PENDING or CONFIRMED → CANCELLED."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


# The one step forward from each status; CANCELLED is reached by cancelling, from PENDING or CONFIRMED.
NEXT_STATUS: dict[OrderStatus, OrderStatus] = {
    OrderStatus.PENDING: OrderStatus.CONFIRMED,
    OrderStatus.CONFIRMED: OrderStatus.SHIPPED,
    OrderStatus.SHIPPED: OrderStatus.DELIVERED,
}
CANCELLABLE: frozenset[OrderStatus] = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED})

ActorType = Literal["USER", "CUSTOMER", "SYSTEM"]


class OnBehalfOf(CamelModel):
    customer_id: uuid.UUID
    contact_id: uuid.UUID | None = None


class PlacedBy(CamelModel):
    """Who placed the order: a staff user, a customer's account or contact (CUSTOMER), or an API key (SYSTEM)."""

    type: ActorType
    id: uuid.UUID | None
    name: str | None
    # Staff ordering for a customer.
    on_behalf_of: OnBehalfOf | None = None


class OrderLine(CamelModel):
    product_id: uuid.UUID
    sku: str
    name: str
    unit_of_sale: str
    quantity: int
    unit_price: Amount
    list_price: Amount
    line_total: Amount


class ShippingAddress(CamelModel):
    """A copy frozen on the order when it was placed."""

    label: str | None = None
    recipient: str | None = None
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str
    country: str
    phone: str | None = None


class StatusStep(CamelModel):
    status: OrderStatus
    at: dt.datetime
    actor: PlacedBy
    reason: str | None = None


class OrderPlaced(Event):
    """The whole order as placed."""

    event_type: ClassVar[str] = "OrderPlaced"

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
    notes: str | None
    requested_delivery_date: dt.date | None
    created_at: dt.datetime
    # The company's orders in the calendar month (UTC, "2026-12") of this one, this one included, and that
    # count's version (the order's number, which only grows): identity shows plan usage from it.
    month: str
    orders_this_month: int
    orders_this_month_version: int


class OrderStatusChanged(Event):
    """One step forward (CONFIRMED, SHIPPED, DELIVERED)."""

    event_type: ClassVar[str] = "OrderStatusChanged"

    id: uuid.UUID
    number: str
    customer_id: uuid.UUID | None
    from_status: OrderStatus
    to_status: OrderStatus


class OrderCancelled(Event):
    event_type: ClassVar[str] = "OrderCancelled"

    id: uuid.UUID
    number: str
    customer_id: uuid.UUID | None
    from_status: OrderStatus
    reason: str | None


EVENTS = (OrderPlaced, OrderStatusChanged, OrderCancelled)
