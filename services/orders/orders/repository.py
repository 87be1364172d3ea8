"""Queries on orders, their lines and history, and the per-company counter; every one scoped by company."""

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Date, Integer, Table, bindparam, case, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.orders import OrderStatus
from kit.db import ReadOnlySession, insert_for
from kit.pagination import keyset_page
from kit.repository import (
    COMPANY,
    LIKE_ESCAPE,
    TenantRepository,
    in_company,
    scoped_select,
    scoped_update,
    substring_pattern,
)
from services.orders.directory.repository import LIVE_ADDRESSES
from services.orders.models import (
    Address,
    Customer,
    Order,
    OrderCounter,
    OrderItem,
    OrderStatusChange,
    Person,
    PersonKind,
    Tenant,
)

ORDERS = cast(Table, Order.__table__)
ITEMS = cast(Table, OrderItem.__table__)
CHANGES = cast(Table, OrderStatusChange.__table__)
COUNTERS = cast(Table, OrderCounter.__table__)
CUSTOMERS = cast(Table, Customer.__table__)
ADDRESSES = cast(Table, Address.__table__)
PEOPLE = cast(Table, Person.__table__)

EXPORT_BATCH = 1_000

# -- what a placement reads first ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementReads:
    """The company as orders knows it (None: not yet), and, each only when asked for: whether the customer is
    live and its name, the fields of one of its live addresses, the acting person's name."""

    tenant: Tenant | None
    customer_live: bool
    customer_name: str | None
    address_fields: dict[str, Any] | None
    actor_name: str | None


_LIVE_CUSTOMER = scoped_select(CUSTOMERS, CUSTOMERS.c.name).where(
    CUSTOMERS.c.id == bindparam("customer_id", type_=CUSTOMERS.c.id.type), CUSTOMERS.c.deleted_at.is_(None)
)
# One of the live customer's live addresses.
_LIVE_ADDRESS_FIELDS = LIVE_ADDRESSES.with_only_columns(ADDRESSES.c.fields).where(
    ADDRESSES.c.id == bindparam("address_id", type_=ADDRESSES.c.id.type)
)
# A staff user's, an API key's or a contact's name (else their email); a customer's own account by its name.
_PERSON_NAME = scoped_select(PEOPLE, func.coalesce(func.nullif(PEOPLE.c.name, ""), PEOPLE.c.email)).where(
    PEOPLE.c.id == bindparam("person_id", type_=PEOPLE.c.id.type),
    PEOPLE.c.kind == bindparam("person_kind", type_=PEOPLE.c.kind.type),
)
_CUSTOMER_ACTOR_NAME = scoped_select(CUSTOMERS, CUSTOMERS.c.name).where(
    CUSTOMERS.c.id == bindparam("actor_customer_id", type_=CUSTOMERS.c.id.type)
)
# One row whether or not the tenant is known: the tenant is outer-joined to a row of nothing.
_ONE_ROW = select(literal(1).label("one")).subquery("one_row")
_PLACEMENT_READS = (
    select(
        Tenant,
        _LIVE_CUSTOMER.exists().label("customer_live"),
        _LIVE_CUSTOMER.scalar_subquery().label("customer_name"),
        _LIVE_ADDRESS_FIELDS.scalar_subquery().label("address_fields"),
        func.coalesce(_PERSON_NAME.scalar_subquery(), _CUSTOMER_ACTOR_NAME.scalar_subquery()).label("actor_name"),
    )
    .select_from(_ONE_ROW)
    .outerjoin(Tenant, in_company(Tenant))
)


async def placement_reads(
    session: ReadOnlySession,
    company_id: uuid.UUID,
    *,
    customer_id: uuid.UUID | None,
    address_id: uuid.UUID | None,
    person: tuple[uuid.UUID, PersonKind] | None = None,
    actor_customer_id: uuid.UUID | None = None,
) -> PlacementReads:
    """Everything a placement reads before pricing, in one statement (one round trip instead of four)."""
    person_id, person_kind = person if person is not None else (None, None)
    parameters = {
        COMPANY: company_id,
        "customer_id": customer_id,
        "address_id": address_id,
        "person_id": person_id,
        "person_kind": person_kind,
        "actor_customer_id": actor_customer_id,
    }
    row = (await session.execute(_PLACEMENT_READS, parameters)).one()
    return PlacementReads(row.Tenant, bool(row.customer_live), row.customer_name, row.address_fields, row.actor_name)


# -- numbering and the monthly limit -----------------------------------------------------------------

_MONTH = bindparam("month", type_=Date)
# The orders already counted this month: the stored count, unless it counts an earlier month.
_THIS_MONTH = case((COUNTERS.c.month == _MONTH, COUNTERS.c.month_orders), else_=0)


def _take_number(*, within_limit: bool) -> Any:
    statement = scoped_update(COUNTERS).values(
        last_number=COUNTERS.c.last_number + 1, month_orders=_THIS_MONTH + 1, month=_MONTH
    )
    if within_limit:
        statement = statement.where(bindparam("max_orders", type_=Integer) > _THIS_MONTH)
    return statement.returning(COUNTERS.c.last_number, COUNTERS.c.month_orders)


_TAKE_NUMBER = _take_number(within_limit=False)
_TAKE_NUMBER_WITHIN_LIMIT = _take_number(within_limit=True)
_MONTH_COUNT = scoped_select(COUNTERS, COUNTERS.c.month, COUNTERS.c.month_orders)


def month_of(now: dt.datetime) -> dt.date:
    """The first day of `now`'s calendar month (UTC): what the monthly limit counts by."""
    return now.date().replace(day=1)


class OrderCounterRepository:
    """The company's order counter (see `OrderCounter`); every statement scoped by company."""

    def __init__(self, session: AsyncSession, company_id: uuid.UUID) -> None:
        self.session = session
        self.company_id = company_id

    async def take_number(self, month: dt.date, max_orders: int | None) -> tuple[int, int] | None:
        """The next order number and the month's orders with it, taking one of the month's `max_orders` (None:
        unlimited) in the same UPDATE, whose row lock is held until commit. None when the month is full or the
        row does not exist yet."""
        values: dict[str, Any] = {COMPANY: self.company_id, "month": month}
        statement = _TAKE_NUMBER
        if max_orders is not None:
            statement = _TAKE_NUMBER_WITHIN_LIMIT
            values["max_orders"] = max_orders
        row = (await self.session.execute(statement, values)).first()
        return (int(row[0]), int(row[1])) if row is not None else None

    async def start(self, month: dt.date) -> None:
        """The company's counter row at zero, unless another placement made it first."""
        row = {"company_id": self.company_id, "last_number": 0, "month": month, "month_orders": 0}
        statement = insert_for(self.session, COUNTERS).values(row).on_conflict_do_nothing(index_elements=["company_id"])
        await self.session.execute(statement)

    async def orders_in(self, month: dt.date) -> int:
        """Orders placed in `month` (0 before the first)."""
        row = (await self.session.execute(_MONTH_COUNT, {COMPANY: self.company_id})).first()
        if row is None or row.month != month:
            return 0
        return int(row.month_orders)


# -- orders --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    status: OrderStatus | None = None
    customer_id: uuid.UUID | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    # The order number ("SO-000042", "42"), part of the PO number or of the customer's name.
    query: str | None = None


_NUMBER = re.compile(r"(?:SO-?)?0*(\d{1,12})", re.IGNORECASE)


def _number_in(query: str) -> int | None:
    found = _NUMBER.fullmatch(query.strip())
    return int(found.group(1)) if found else None


# Built once: rows go in as parameters, so each INSERT is compiled once and cached.
_INSERT_ORDER = insert(ORDERS)
_INSERT_ITEMS = insert(ITEMS)
_INSERT_CHANGE = insert(CHANGES)


class OrderRepository(TenantRepository[Order]):
    model = Order

    async def insert_lines(self, items: Sequence[dict[str, Any]], change: dict[str, Any]) -> None:
        """Write a new order's lines (one batched INSERT) and its first history step before the order itself:
        their keys to it are checked at commit, and a placement writes them before it takes its number, so
        the number's lock is held for fewer statements."""
        for row in (*items, change):
            row["company_id"] = self.company_id
        await self.session.execute(_INSERT_ITEMS, list(items))
        await self.session.execute(_INSERT_CHANGE, change)

    async def insert(self, order: dict[str, Any]) -> None:
        await self.session.execute(_INSERT_ORDER, order | {"company_id": self.company_id})

    async def lock(self, order_id: uuid.UUID) -> Order | None:
        """The order, locked until commit: its status changes are made one at a time."""
        order: Order | None = await self.session.scalar(self.statement().where(Order.id == order_id).with_for_update())
        return order

    async def get_for_customer(self, order_id: uuid.UUID, customer_id: uuid.UUID) -> Order | None:
        order: Order | None = await self.session.scalar(
            self.statement().where(Order.id == order_id, Order.customer_id == customer_id)
        )
        return order

    async def items(self, order_id: uuid.UUID) -> list[OrderItem]:
        statement = scoped_select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.position)
        return list((await self.session.scalars(statement, {COMPANY: self.company_id})).all())

    async def history(self, order_id: uuid.UUID) -> list[OrderStatusChange]:
        statement = (
            scoped_select(OrderStatusChange)
            .where(OrderStatusChange.order_id == order_id)
            .order_by(OrderStatusChange.at, OrderStatusChange.id)
        )
        return list((await self.session.scalars(statement, {COMPANY: self.company_id})).all())

    def add_change(self, change: OrderStatusChange) -> None:
        if change.company_id != self.company_id:
            raise ValueError("status change belongs to another company")
        self.session.add(change)

    def _matching(self, filters: OrderFilters) -> Any:
        statement = self.statement()
        if filters.status is not None:
            statement = statement.where(Order.status == filters.status)
        if filters.customer_id is not None:
            statement = statement.where(Order.customer_id == filters.customer_id)
        if filters.created_from is not None:
            statement = statement.where(Order.created_at >= filters.created_from)
        if filters.created_to is not None:
            statement = statement.where(Order.created_at < filters.created_to)
        if filters.query:
            pattern = substring_pattern(filters.query)
            matches: list[ColumnElement[bool]] = [
                Order.po_number.ilike(pattern, escape=LIKE_ESCAPE),
                Order.customer_name.ilike(pattern, escape=LIKE_ESCAPE),
            ]
            number = _number_in(filters.query)
            if number is not None:
                matches.append(Order.number == number)
            statement = statement.where(or_(*matches))
        return statement

    async def page(self, filters: OrderFilters, *, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        """Newest first."""
        return await keyset_page(
            self.session,
            self._matching(filters),
            sort_column=Order.created_at,
            id_column=Order.id,
            limit=limit,
            cursor=cursor,
        )

    async def item_counts(self, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not order_ids:
            return {}
        statement = (
            scoped_select(ITEMS, ITEMS.c.order_id, func.count())
            .where(ITEMS.c.order_id.in_(list(order_ids)))
            .group_by(ITEMS.c.order_id)
        )
        rows = await self.session.execute(statement, {COMPANY: self.company_id})
        return {row[0]: int(row[1]) for row in rows}

    async def stream(self, filters: OrderFilters) -> AsyncIterator[tuple[Order, int]]:
        """Every matching order, newest first, with its count of lines; fetched in batches."""
        item_count = (
            select(func.count())
            .select_from(ITEMS)
            .where(ITEMS.c.order_id == Order.id)
            .correlate(ORDERS)
            .scalar_subquery()
        )
        statement = (
            self._matching(filters)
            .add_columns(item_count)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .execution_options(yield_per=EXPORT_BATCH)
        )
        async for order, count in await self.session.stream(statement):
            yield order, int(count)
