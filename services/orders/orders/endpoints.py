"""Order routes: staff and integrators (`/api/v1/orders`), and storefront buyers (`/storefront/orders`)."""

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BeforeValidator
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.orders import OrderStatus
from kit.access import STOREFRONT, staff
from kit.context import Context
from kit.db import Database, Session, commit
from kit.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PlanLimitReached,
    ServiceUnavailable,
    Unauthorized,
    problem_responses,
)
from kit.pagination import Cursor, Limit, Page
from services.orders.cart import service as cart_service
from services.orders.cart.schemas import ReorderResult
from services.orders.orders import service
from services.orders.orders.repository import OrderFilters
from services.orders.orders.schemas import (
    CancelRequest,
    CheckoutRequest,
    OrderCreate,
    OrderRead,
    OrderSummary,
    StatusChange,
)
from services.orders.orders.service import OrderRejected

JSON = "application/json"

# Registered after the tenant endpoints, so `/api/v1/orders/limits` stays theirs.
router = APIRouter(prefix="/api/v1/orders", tags=["orders"], dependencies=[staff(scope="orders")])
storefront_router = APIRouter(prefix="/storefront/orders", tags=["storefront ordering"], dependencies=[STOREFRONT])

SearchText = Annotated[
    str | None,
    Query(max_length=200, description="The order number (SO-000042 or 42), part of the PO number or customer name."),
]


def _date_or_time(value: object) -> object:
    """ "2026-12-01" is a day, anything longer a moment: read so before validation, as a bare date would
    otherwise pass for that day's midnight."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    # Not a number of seconds either, which pydantic would otherwise take for a moment.
    raise ValueError("Enter a date like 2026-12-01, or a date and time like 2026-12-01T09:30:00Z.")


DateOrTime = Annotated[dt.datetime | dt.date | None, BeforeValidator(_date_or_time)]
CreatedFrom = Annotated[
    DateOrTime,
    Query(alias="from", description="Orders created at or after this time (a date: from its start, UTC)."),
]
CreatedTo = Annotated[
    DateOrTime,
    Query(alias="to", description="Orders created before this time (a date: up to its end, UTC)."),
]


def _start(value: dt.datetime | dt.date | None, *, next_day: bool = False) -> dt.datetime | None:
    """A filter bound as a UTC time: a date is its day's start (or the next day's, for an inclusive end)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    day = value + dt.timedelta(days=1) if next_day else value
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _filters(
    order_status: OrderStatus | None,
    customer_id: uuid.UUID | None,
    created_from: dt.datetime | dt.date | None,
    created_to: dt.datetime | dt.date | None,
    q: str | None,
) -> OrderFilters:
    return OrderFilters(
        status=order_status,
        customer_id=customer_id,
        created_from=_start(created_from),
        created_to=_start(created_to, next_day=True),
        query=q.strip() or None if q else None,
    )


@router.get("", responses=problem_responses(InvalidInput, Unauthorized, Forbidden))
async def list_orders(
    session: Session,
    context: Context,
    order_status: Annotated[OrderStatus | None, Query(alias="status")] = None,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    created_from: CreatedFrom = None,
    created_to: CreatedTo = None,
    q: SearchText = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OrderSummary]:
    """The company's orders, newest first, filtered by status, customer, creation time and search text."""
    filters = _filters(order_status, customer_id, created_from, created_to, q)
    return await service.staff_order_page(session, context, filters, limit=limit, cursor=cursor)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderRead,
    responses=problem_responses(Unauthorized, PlanLimitReached, Forbidden, NotFound, OrderRejected, ServiceUnavailable),
)
async def place_order(session: Session, context: Context, body: OrderCreate) -> Response:
    """Place an order: for a customer (at their prices; `placedBy.onBehalfOf` records them) with one of their
    addresses or one typed in, or an internal order (no customer, list prices). 402 when the month's
    maxOrdersPerMonth is reached or the trial has ended; nothing is created then."""
    return await created(session, await service.place_staff_order(session, context, body))


async def created(session: AsyncSession, order: OrderRead) -> Response:
    """201 with the new order, committed first: the company's next placement waits on its number's lock until
    then, not while the answer is written. Serialized once: it was built as an OrderRead, and checking it
    against the model again (what returning it would do) is work on the hot path for nothing."""
    await commit(session)
    return Response(order.model_dump_json(by_alias=True), status_code=status.HTTP_201_CREATED, media_type=JSON)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(Unauthorized, Forbidden)},
)
async def export_orders(
    context: Context,
    request: Request,
    order_status: Annotated[OrderStatus | None, Query(alias="status")] = None,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    created_from: CreatedFrom = None,
    created_to: CreatedTo = None,
    q: SearchText = None,
) -> StreamingResponse:
    """The orders the same filters list, as CSV (one row per order, newest first), streamed."""
    company_id = service.authorize_export(context)
    filters = _filters(order_status, customer_id, created_from, created_to, q)
    database: Database = request.app.state.database
    return StreamingResponse(
        service.export_csv(database, company_id, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


@router.get("/{order_id:uuid}", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def get_order(session: Session, context: Context, order_id: uuid.UUID) -> OrderRead:
    return await service.staff_order(session, context, order_id)


@router.post("/{order_id:uuid}/status", responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict))
async def change_order_status(session: Session, context: Context, order_id: uuid.UUID, body: StatusChange) -> OrderRead:
    """Move the order one step forward: PENDING → CONFIRMED → SHIPPED → DELIVERED. Anything else is 409
    naming what the order may still do."""
    return await service.change_status(session, context, order_id, body.status)


@router.post("/{order_id:uuid}/cancel", responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict))
async def cancel_order(session: Session, context: Context, order_id: uuid.UUID, body: CancelRequest) -> OrderRead:
    """Cancel a PENDING or CONFIRMED order, with an optional reason; otherwise 409."""
    return await service.cancel(session, context, order_id, body.reason)


# -- storefront ---------------------------------------------------------------------------------------


@storefront_router.get("", responses=problem_responses(InvalidInput, Unauthorized, Forbidden))
async def list_customer_orders(
    session: Session,
    context: Context,
    order_status: Annotated[OrderStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OrderSummary]:
    """Every order of the signed-in account's customer, whichever of its accounts placed it; newest first."""
    return await service.customer_order_page(session, context, order_status, limit=limit, cursor=cursor)


@storefront_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderRead,
    responses=problem_responses(Unauthorized, PlanLimitReached, Forbidden, Conflict, OrderRejected, ServiceUnavailable),
)
async def place_cart_order(session: Session, context: Context, body: CheckoutRequest) -> Response:
    """Place the cart as an order to one of the customer's addresses and empty the cart. If today's prices
    give another total than `expectedTotal`, 409 lists the lines whose price moved since they were put in the
    cart and nothing is placed. BUYER and ADMIN accounts order; VIEWER gets 403."""
    return await created(session, await service.place_cart_order(session, context, body))


@storefront_router.get("/{order_id:uuid}", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def get_customer_order(session: Session, context: Context, order_id: uuid.UUID) -> OrderRead:
    """One order of the signed-in account's customer; anyone else's is not found."""
    return await service.customer_order(session, context, order_id)


@storefront_router.post(
    "/{order_id:uuid}/reorder",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, ServiceUnavailable),
)
async def reorder(session: Session, context: Context, order_id: uuid.UUID) -> ReorderResult:
    """Put the order's lines in the cart again (quantities add up) at today's prices; lines that can no
    longer be ordered are listed in `unavailable`."""
    return await cart_service.reorder(session, context, order_id)
