"""Rules of orders: placing one (staff, integrators, storefront buyers), its number and the monthly limit, the
status lifecycle, and reading them back.

A placement is one transaction: the prices and the customer's address are read from orders' read models,
the order's lines and first history step are written, then one UPDATE of the company's counter numbers the
order and takes a slot of the month's limit (its row lock serializing the company's placements until
commit), then the order and `OrderPlaced` are written. A refusal anywhere rolls all of it back: no order,
no number, no event.
"""

import csv
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.orders import (
    CANCELLABLE,
    NEXT_STATUS,
    ORDER_ENTITY,
    OnBehalfOf,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    OrderStatus,
    OrderStatusChanged,
    PlacedBy,
    ShippingAddress,
    StatusStep,
)
from kit.access import require_staff_or_key
from kit.context import RequestContext
from kit.db import Database, new_id, utcnow
from kit.errors import Conflict, NotFound, PlanLimitReached, ProblemError, ServiceUnavailable
from kit.events import EntityRef
from kit.outbox import emit
from kit.pagination import Page
from kit.repository import found
from services.orders.cart.repository import CartEntry, CartRepository
from services.orders.catalog_copy.pricing import PricedProduct, price_products
from services.orders.directory.service import actor_name, actor_person, order_address
from services.orders.documents import issuing
from services.orders.models import Order, OrderItem, OrderStatusChange, Tenant
from services.orders.orders.buyers import StorefrontAccount, storefront_account
from services.orders.orders.lines import PricedLine, total_of, unavailable_reason
from services.orders.orders.repository import (
    OrderCounterRepository,
    OrderFilters,
    OrderRepository,
    month_of,
    placement_reads,
)
from services.orders.orders.schemas import (
    CheckoutRequest,
    OrderCreate,
    OrderItemInput,
    OrderRead,
    OrderSummary,
    PriceChange,
)
from services.orders.tenants.service import accepts_orders, known


class OrderRejected(ProblemError):
    """422: the order cannot be placed as asked (a product, the customer's address, an empty cart); `errors`
    names each field or line."""

    status = 422
    title = "Order not accepted"
    slug = "order-rejected"


class PricesChanged(Conflict):
    """409 at checkout: today's prices give another total than the buyer saw; nothing was placed."""

    def __init__(self, total: Decimal, expected: Decimal, changes: list[PriceChange]) -> None:
        super().__init__(
            f"Prices have changed since you viewed your cart: the total is now {total:.2f}, not {expected:.2f}. "
            "Review your cart and place the order again."
        )
        self.total = total
        self.expected = expected
        self.changes = changes

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body = super().to_problem(instance)
        body["total"] = f"{self.total:.2f}"
        body["expectedTotal"] = f"{self.expected:.2f}"
        body["changes"] = [change.model_dump(mode="json", by_alias=True) for change in self.changes]
        return body


def _price_changes(lines: list[PricedLine], entries: dict[uuid.UUID, CartEntry]) -> list[PriceChange]:
    """The lines whose price moved since they were put in the cart, with the price quoted then; if none did
    (the buyer's total is older than the cart), every line at today's price."""
    changes = [
        PriceChange(
            product_id=line.product.id,
            sku=line.product.sku,
            name=line.product.name,
            previous_unit_price=entries[line.product.id].quoted_price,
            unit_price=line.product.unit_price,
        )
        for line in lines
    ]
    moved = [change for change in changes if change.previous_unit_price not in (None, change.unit_price)]
    return moved or changes


def order_number(number: int) -> str:
    return f"SO-{number:06d}"


def order_entity(order_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type=ORDER_ENTITY, id=str(order_id), version=version)


# -- accepting orders at all ---------------------------------------------------------------------------


def storefront_refusal(tenant: Tenant) -> PlanLimitReached:
    """What a buyer is told when the company cannot take orders: never its plan or limits, which are not theirs."""
    company = tenant.name or "the store"
    return PlanLimitReached(f"This store is not taking orders right now. Please contact {company} to place your order.")


def check_accepting(tenant: Tenant, now: datetime, *, storefront: bool) -> None:
    if accepts_orders(tenant, now):
        return
    if storefront:
        raise storefront_refusal(tenant)
    raise PlanLimitReached(
        "Your trial has ended, so new orders are not accepted. Choose a plan in Billing to take orders again."
    )


@dataclass(frozen=True)
class Numbered:
    number: int
    # The first day (UTC) of the order's month, and the company's orders in it with this one.
    month: date
    month_orders: int


async def take_number(session: AsyncSession, tenant: Tenant, now: datetime, *, storefront: bool) -> Numbered:
    """The order's number, taking one of the month's `maxOrdersPerMonth`; 402 when the month is full."""
    counter = OrderCounterRepository(session, tenant.company_id)
    month = month_of(now)
    taken = await counter.take_number(month, tenant.max_orders_per_month)
    if taken is None:
        # The month is full, or this is the company's first order: make its counter row (unless a concurrent
        # first order made it meanwhile, which this waits for) and ask again. Asking whether the row exists
        # instead would see one committed since the UPDATE above, and refuse an order there is room for.
        await counter.start(month)
        taken = await counter.take_number(month, tenant.max_orders_per_month)
    if taken is None:
        if storefront:
            raise storefront_refusal(tenant)
        raise PlanLimitReached(
            f"Your plan allows {tenant.max_orders_per_month} orders a month (maxOrdersPerMonth), and this month's "
            "are all placed. Upgrade your plan in Billing to take more orders this month."
        )
    return Numbered(number=taken[0], month=month, month_orders=taken[1])


# -- pricing what is ordered ---------------------------------------------------------------------------


def rejected_lines(problems: list[dict[str, str]]) -> OrderRejected:
    detail = "; ".join(problem["message"] for problem in problems)
    return OrderRejected(f"Some lines cannot be ordered: {detail}", errors=problems)


def check_distinct(items: Sequence[OrderItemInput]) -> None:
    seen: set[uuid.UUID] = set()
    problems = []
    for index, item in enumerate(items):
        if item.product_id in seen:
            problems.append(
                {
                    "field": f"items.{index}.productId",
                    "message": f"Product {item.product_id} is already on the order; change that line's quantity.",
                }
            )
        seen.add(item.product_id)
    if problems:
        raise rejected_lines(problems)


def price_lines(items: Sequence[OrderItemInput], prices: dict[uuid.UUID, PricedProduct]) -> list[PricedLine]:
    """Each requested line at its price; 422 naming every line whose product cannot be ordered."""
    problems = []
    lines = []
    for index, item in enumerate(items):
        product = prices.get(item.product_id)
        reason = unavailable_reason(item.product_id, product)
        if reason is not None or product is None:
            problems.append({"field": f"items.{index}.productId", "message": reason or ""})
        else:
            lines.append(PricedLine(product, item.quantity))
    if problems:
        raise rejected_lines(problems)
    return lines


# -- placing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Everything an order is made of, checked and priced; numbering and writing it is all that is left."""

    tenant: Tenant
    customer_id: uuid.UUID | None
    customer_name: str | None
    placed_by: PlacedBy
    lines: list[PricedLine]
    shipping_address: dict[str, Any] | None
    po_number: str | None
    notes: str | None
    requested_delivery_date: Any
    storefront: bool


async def place(session: AsyncSession, context: RequestContext, placement: Placement, now: datetime) -> OrderRead:
    company_id = placement.tenant.company_id
    order_id = new_id()
    placed_by = placement.placed_by
    total = total_of(placement.lines)
    currency = placement.lines[0].product.currency
    item_rows = [
        {
            "id": new_id(),
            "order_id": order_id,
            "position": position,
            "product_id": line.product.id,
            "sku": line.product.sku,
            "name": line.product.name,
            "unit_of_sale": line.product.unit_of_sale,
            "quantity": line.quantity,
            "unit_price": line.product.unit_price,
            "list_price": line.product.list_price,
            "line_total": line.line_total,
        }
        for position, line in enumerate(placement.lines)
    ]
    change_row = {
        "id": new_id(),
        "order_id": order_id,
        "status": OrderStatus.PENDING,
        "at": now,
        "actor_type": placed_by.type,
        "actor_id": placed_by.id,
        "actor_name": placed_by.name,
        "reason": None,
    }
    repository = OrderRepository(session, company_id)
    await repository.insert_lines(item_rows, change_row)
    # The parts of the answer and the event that do not need the number, made before taking it.
    address = ShippingAddress.model_validate(placement.shipping_address) if placement.shipping_address else None
    items = [line.as_order_line() for line in placement.lines]
    first_step = StatusStep(
        status=OrderStatus.PENDING, at=now, actor=PlacedBy(type=placed_by.type, id=placed_by.id, name=placed_by.name)
    )
    # From here to commit the company's counter row is locked: its other placements wait.
    numbered = await take_number(session, placement.tenant, now, storefront=placement.storefront)
    number = numbered.number
    order_row = {
        "id": order_id,
        "number": number,
        "status": OrderStatus.PENDING,
        "customer_id": placement.customer_id,
        "customer_name": placement.customer_name,
        "placed_by_type": placed_by.type,
        "placed_by_id": placed_by.id,
        "placed_by_name": placed_by.name,
        "on_behalf_of_customer_id": placed_by.on_behalf_of.customer_id if placed_by.on_behalf_of else None,
        "on_behalf_of_contact_id": placed_by.on_behalf_of.contact_id if placed_by.on_behalf_of else None,
        "currency": currency,
        "subtotal": total,
        "total": total,
        "shipping_address": placement.shipping_address,
        "po_number": placement.po_number,
        "notes": placement.notes,
        "requested_delivery_date": placement.requested_delivery_date,
        "cancel_reason": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    await repository.insert(order_row)
    order = OrderRead(
        id=order_id,
        number=order_number(number),
        status=OrderStatus.PENDING,
        customer_id=placement.customer_id,
        customer_name=placement.customer_name,
        placed_by=placed_by,
        items=items,
        currency=currency,
        subtotal=total,
        total=total,
        shipping_address=address,
        po_number=placement.po_number,
        notes=placement.notes,
        requested_delivery_date=placement.requested_delivery_date,
        cancel_reason=None,
        status_history=[first_step],
        created_at=now,
        updated_at=now,
    )
    event = OrderPlaced(
        id=order.id,
        number=order.number,
        status=order.status,
        customer_id=order.customer_id,
        customer_name=order.customer_name,
        placed_by=order.placed_by,
        items=order.items,
        currency=order.currency,
        subtotal=order.subtotal,
        total=order.total,
        shipping_address=order.shipping_address,
        po_number=order.po_number,
        notes=order.notes,
        requested_delivery_date=order.requested_delivery_date,
        created_at=now,
        month=f"{numbered.month:%Y-%m}",
        orders_this_month=numbered.month_orders,
        # The count only grows with the number (a new month restarts the count, never the number).
        orders_this_month_version=number,
    )
    await emit(session, event, company_id=company_id, entity=order_entity(order_id, 1), context=context)
    return order


async def place_staff_order(session: AsyncSession, context: RequestContext, request: OrderCreate) -> OrderRead:
    """An order a staff member or an API key places: for a customer (their prices and address) or internal."""
    company_id = require_staff_or_key(context, "orders:write")
    now = utcnow()
    principal = context.principal
    reads = await placement_reads(
        session,
        company_id,
        customer_id=request.customer_id,
        address_id=request.shipping_address_id,
        person=actor_person(principal),
    )
    tenant = known(reads.tenant)
    check_accepting(tenant, now, storefront=False)
    check_distinct(request.items)
    if request.shipping_address_id is not None and request.shipping_address is not None:
        message = "Give either shippingAddressId (one of the customer's addresses) or shippingAddress, not both."
        raise OrderRejected(message, errors=[{"field": "shippingAddressId", "message": message}])
    customer_name = None
    address = request.shipping_address.fields() if request.shipping_address is not None else None
    if request.customer_id is not None:
        if not reads.customer_live:
            raise NotFound("Customer not found.")
        customer_name = reads.customer_name
        if request.shipping_address_id is not None:
            if reads.address_fields is None:
                message = "This is not one of the customer's addresses."
                raise OrderRejected(message, errors=[{"field": "shippingAddressId", "message": message}])
            address = order_address(reads.address_fields)
    elif request.shipping_address_id is not None:
        message = "An internal order has no customer, so no saved address: type the address in shippingAddress."
        raise OrderRejected(message, errors=[{"field": "shippingAddressId", "message": message}])
    product_ids = [item.product_id for item in request.items]
    prices = await price_products(session, company_id, product_ids, request.customer_id)
    lines = price_lines(request.items, prices)
    on_behalf_of = OnBehalfOf(customer_id=request.customer_id) if request.customer_id is not None else None
    placed_by = PlacedBy(
        type="USER" if principal.type == "user" else "SYSTEM",
        id=principal.id,
        name=reads.actor_name,
        on_behalf_of=on_behalf_of,
    )
    placement = Placement(
        tenant=tenant,
        customer_id=request.customer_id,
        customer_name=customer_name,
        placed_by=placed_by,
        lines=lines,
        shipping_address=address,
        po_number=request.po_number,
        notes=request.notes,
        requested_delivery_date=request.requested_delivery_date,
        storefront=False,
    )
    return await place(session, context, placement, now)


async def place_cart_order(session: AsyncSession, context: RequestContext, request: CheckoutRequest) -> OrderRead:
    """The signed-in buyer's cart as an order at today's prices, if they total what the buyer saw; the cart is
    emptied in the same transaction."""
    account = storefront_account(context, buying=True)
    company_id = account.company_id
    now = utcnow()
    principal = account.principal
    reads = await placement_reads(
        session,
        company_id,
        customer_id=account.customer_id,
        address_id=request.shipping_address_id,
        person=actor_person(principal),
        actor_customer_id=principal.id if principal.type == "customer" else None,
    )
    tenant = known(reads.tenant)
    check_accepting(tenant, now, storefront=True)
    cart = CartRepository(session, company_id)
    entries = await cart.lines(account.account_id, lock=True)
    if not entries:
        raise OrderRejected(
            "Your cart is empty: add products before placing an order.",
            errors=[{"field": "cart", "message": "The cart is empty."}],
        )
    if not reads.customer_live:
        raise ServiceUnavailable(
            "Your account is still being set up; try again in a moment.", headers={"Retry-After": "1"}
        )
    if reads.address_fields is None:
        message = "Choose one of your saved addresses."
        raise OrderRejected(message, errors=[{"field": "shippingAddressId", "message": message}])
    address = order_address(reads.address_fields)
    prices = await price_products(session, company_id, list(entries), account.customer_id)
    problems = [
        {"field": "cart", "message": reason}
        for product_id in entries
        if (reason := unavailable_reason(product_id, prices.get(product_id))) is not None
    ]
    if problems:
        detail = "; ".join(problem["message"] for problem in problems)
        raise OrderRejected(
            f"Some products in your cart cannot be ordered: {detail} Remove them and try again.", errors=problems
        )
    lines = [PricedLine(prices[product_id], entry.quantity) for product_id, entry in entries.items()]
    total = total_of(lines)
    if total != request.expected_total:
        raise PricesChanged(total, request.expected_total, _price_changes(lines, entries))
    placed_by = PlacedBy(type="CUSTOMER", id=principal.id, name=reads.actor_name)
    placement = Placement(
        tenant=tenant,
        customer_id=account.customer_id,
        customer_name=reads.customer_name,
        placed_by=placed_by,
        lines=lines,
        shipping_address=address,
        po_number=request.po_number,
        notes=request.notes,
        requested_delivery_date=request.requested_delivery_date,
        storefront=True,
    )
    # Emptied first, so the number's lock is not held for it; a refusal further on rolls it back.
    await cart.clear(account.account_id)
    return await place(session, context, placement, now)


# -- the lifecycle -------------------------------------------------------------------------------------


def allowed_moves(status: OrderStatus) -> str:
    """What an order in `status` may still do, in words."""
    following = NEXT_STATUS.get(status)
    if following is not None and status in CANCELLABLE:
        return f"it can move to {following.value} or be cancelled"
    if following is not None:
        return f"it can move to {following.value}"
    return "its status can no longer change"


def invalid_move(order: Order, to: str) -> Conflict:
    return Conflict(
        f"Order {order_number(order.number)} is {order.status.value}, so it cannot {to}: {allowed_moves(order.status)}."
    )


async def _actor(session: AsyncSession, company_id: uuid.UUID, context: RequestContext) -> PlacedBy:
    principal = context.principal
    return PlacedBy(
        type="USER" if principal.type == "user" else "SYSTEM",
        id=principal.id,
        name=await actor_name(session, company_id, principal),
    )


async def _record_step(
    session: AsyncSession,
    repository: OrderRepository,
    order: Order,
    status: OrderStatus,
    actor: PlacedBy,
    reason: str | None,
) -> None:
    now = utcnow()
    order.status = status
    order.version += 1
    order.updated_at = now
    repository.add_change(
        OrderStatusChange(
            id=new_id(),
            company_id=order.company_id,
            order_id=order.id,
            status=status,
            at=now,
            actor_type=actor.type,
            actor_id=actor.id,
            actor_name=actor.name,
            reason=reason,
        )
    )
    await session.flush()


async def change_status(
    session: AsyncSession, context: RequestContext, order_id: uuid.UUID, status: OrderStatus
) -> OrderRead:
    """Move the order one step forward (PENDING → CONFIRMED → SHIPPED → DELIVERED); anything else is 409."""
    moving = await _moving(session, context, order_id)
    order, previous = moving.order, moving.order.status
    if NEXT_STATUS.get(previous) != status:
        if status is OrderStatus.CANCELLED and previous in CANCELLABLE:
            raise Conflict(
                f"Order {order_number(order.number)} is cancelled with POST /api/v1/orders/{order.id}/cancel, "
                f"not by a status change: {allowed_moves(previous)}."
            )
        raise invalid_move(order, f"move to {status.value}")
    event = OrderStatusChanged(
        id=order.id,
        number=order_number(order.number),
        customer_id=order.customer_id,
        from_status=previous,
        to_status=status,
    )
    moved = await moving.take(status, None, event)
    # Its invoice (confirmed) or packing list (shipped) in the same transaction: issued exactly when the step is.
    await issuing.on_status_changed(session, context, moved)
    return moved


async def cancel(session: AsyncSession, context: RequestContext, order_id: uuid.UUID, reason: str | None) -> OrderRead:
    """Cancel a PENDING or CONFIRMED order; a shipped, delivered or cancelled one is 409."""
    moving = await _moving(session, context, order_id)
    order, previous = moving.order, moving.order.status
    if previous not in CANCELLABLE:
        raise invalid_move(order, "be cancelled")
    order.cancel_reason = reason
    event = OrderCancelled(
        id=order.id,
        number=order_number(order.number),
        customer_id=order.customer_id,
        from_status=previous,
        reason=reason,
    )
    cancelled = await moving.take(OrderStatus.CANCELLED, reason, event)
    if previous is OrderStatus.CONFIRMED:
        # A confirmed order was invoiced: the invoice is voided with it, never deleted.
        await issuing.void_invoice(session, context, cancelled)
    return cancelled


@dataclass(frozen=True)
class _Moving:
    """An order locked for a status step by a staff member or an API key."""

    session: AsyncSession
    context: RequestContext
    repository: OrderRepository
    order: Order

    async def take(
        self, status: OrderStatus, reason: str | None, event: OrderStatusChanged | OrderCancelled
    ) -> OrderRead:
        """Record the step with who took it, raise its event at the order's new version, answer the order."""
        company_id, order = self.repository.company_id, self.order
        actor = await _actor(self.session, company_id, self.context)
        await _record_step(self.session, self.repository, order, status, actor, reason)
        entity = order_entity(order.id, order.version)
        await emit(self.session, event, company_id=company_id, entity=entity, context=self.context)
        return await read_order(self.repository, order)


async def _moving(session: AsyncSession, context: RequestContext, order_id: uuid.UUID) -> _Moving:
    company_id = require_staff_or_key(context, "orders:write")
    repository = OrderRepository(session, company_id)
    order = found(await repository.lock(order_id), "Order")
    return _Moving(session, context, repository, order)


# -- reading -------------------------------------------------------------------------------------------


def placed_by_of(order: Order) -> PlacedBy:
    on_behalf_of = None
    if order.on_behalf_of_customer_id is not None:
        on_behalf_of = OnBehalfOf(customer_id=order.on_behalf_of_customer_id, contact_id=order.on_behalf_of_contact_id)
    return PlacedBy(
        type=order.placed_by_type,
        id=order.placed_by_id,
        name=order.placed_by_name,
        on_behalf_of=on_behalf_of,
    )


def line_of(item: OrderItem) -> OrderLine:
    return OrderLine(
        product_id=item.product_id,
        sku=item.sku,
        name=item.name,
        unit_of_sale=item.unit_of_sale,
        quantity=item.quantity,
        unit_price=item.unit_price,
        list_price=item.list_price,
        line_total=item.line_total,
    )


def step_of(change: OrderStatusChange) -> StatusStep:
    actor = PlacedBy(type=change.actor_type, id=change.actor_id, name=change.actor_name)
    return StatusStep(status=change.status, at=change.at, actor=actor, reason=change.reason)


async def read_order(repository: OrderRepository, order: Order) -> OrderRead:
    items = await repository.items(order.id)
    history = await repository.history(order.id)
    address = ShippingAddress.model_validate(order.shipping_address) if order.shipping_address else None
    return OrderRead(
        id=order.id,
        number=order_number(order.number),
        status=order.status,
        customer_id=order.customer_id,
        customer_name=order.customer_name,
        placed_by=placed_by_of(order),
        items=[line_of(item) for item in items],
        currency=order.currency,
        subtotal=order.subtotal,
        total=order.total,
        shipping_address=address,
        po_number=order.po_number,
        notes=order.notes,
        requested_delivery_date=order.requested_delivery_date,
        cancel_reason=order.cancel_reason,
        status_history=[step_of(change) for change in history],
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def summary_of(order: Order, item_count: int) -> OrderSummary:
    return OrderSummary(
        id=order.id,
        number=order_number(order.number),
        status=order.status,
        customer_id=order.customer_id,
        customer_name=order.customer_name,
        placed_by=placed_by_of(order),
        currency=order.currency,
        subtotal=order.subtotal,
        total=order.total,
        item_count=item_count,
        po_number=order.po_number,
        requested_delivery_date=order.requested_delivery_date,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


async def _page(
    repository: OrderRepository, filters: OrderFilters, *, limit: int, cursor: str | None
) -> Page[OrderSummary]:
    orders, next_cursor = await repository.page(filters, limit=limit, cursor=cursor)
    counts = await repository.item_counts([order.id for order in orders])
    items = [summary_of(order, counts.get(order.id, 0)) for order in orders]
    return Page[OrderSummary](items=items, next_cursor=next_cursor)


async def staff_order(session: AsyncSession, context: RequestContext, order_id: uuid.UUID) -> OrderRead:
    company_id = require_staff_or_key(context, "orders:read")
    repository = OrderRepository(session, company_id)
    return await read_order(repository, await repository.get_or_404(order_id, "Order"))


async def staff_order_page(
    session: AsyncSession, context: RequestContext, filters: OrderFilters, *, limit: int, cursor: str | None
) -> Page[OrderSummary]:
    company_id = require_staff_or_key(context, "orders:read")
    return await _page(OrderRepository(session, company_id), filters, limit=limit, cursor=cursor)


async def customer_order(session: AsyncSession, context: RequestContext, order_id: uuid.UUID) -> OrderRead:
    """One order of the signed-in account's customer, whichever of its accounts placed it."""
    account = storefront_account(context, buying=False)
    repository = OrderRepository(session, account.company_id)
    order = found(await repository.get_for_customer(order_id, account.customer_id), "Order")
    return await read_order(repository, order)


async def customer_order_page(
    session: AsyncSession, context: RequestContext, status: OrderStatus | None, *, limit: int, cursor: str | None
) -> Page[OrderSummary]:
    account = storefront_account(context, buying=False)
    filters = OrderFilters(status=status, customer_id=account.customer_id)
    return await _page(OrderRepository(session, account.company_id), filters, limit=limit, cursor=cursor)


async def customer_order_lines(
    account: StorefrontAccount, session: AsyncSession, order_id: uuid.UUID
) -> list[OrderItem]:
    """The lines of one of the account's customer's orders (for a reorder); 404 for anyone else's."""
    repository = OrderRepository(session, account.company_id)
    order = found(await repository.get_for_customer(order_id, account.customer_id), "Order")
    return await repository.items(order.id)


# -- export --------------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("number", "createdAt", "status", "customer", "poNumber", "currency", "subtotal", "total", "items")
EXPORT_LINES_PER_CHUNK = 500
# A cell starting with one of these is a formula to a spreadsheet (CSV injection): written after an apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def _as_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def export_cells(order: Order, item_count: int) -> tuple[str, ...]:
    return (
        order_number(order.number),
        order.created_at.isoformat(),
        order.status.value,
        _as_text(order.customer_name or ""),
        _as_text(order.po_number or ""),
        order.currency,
        f"{order.subtotal:.2f}",
        f"{order.total:.2f}",
        str(item_count),
    )


def authorize_export(context: RequestContext) -> uuid.UUID:
    """The company whose orders the caller may export; checked before the response starts streaming."""
    return require_staff_or_key(context, "orders:read")


async def export_csv(database: Database, company_id: uuid.UUID, filters: OrderFilters) -> AsyncIterator[str]:
    """The matching orders as CSV, newest first, one row per order, read in its own session while streaming."""

    def lines_text(rows: list[Sequence[str]]) -> str:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue()

    # A transaction of its own: the rows come through a server-side cursor, which needs one.
    async with database.sessionmaker() as session:
        rows: list[Sequence[str]] = [EXPORT_COLUMNS]
        async for order, item_count in OrderRepository(session, company_id).stream(filters):
            rows.append(export_cells(order, item_count))
            if len(rows) >= EXPORT_LINES_PER_CHUNK:
                yield lines_text(rows)
                rows = []
        if rows:
            yield lines_text(rows)
