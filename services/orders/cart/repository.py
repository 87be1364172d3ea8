"""Queries on storefront carts: one account's lines; every statement scoped by company."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, cast

from sqlalchemy import Table, func
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import insert_for
from kit.repository import COMPANY, scoped_delete, scoped_select
from services.orders.models import CartItem

CART = cast(Table, CartItem.__table__)


class CartEntry(NamedTuple):
    quantity: int
    # The unit price the line was quoted at when last put in the cart.
    quoted_price: Decimal | None


class CartRepository:
    """The carts of one company's storefront accounts."""

    def __init__(self, session: AsyncSession, company_id: uuid.UUID) -> None:
        self.session = session
        self.company_id = company_id

    async def lines(self, account_id: uuid.UUID, *, lock: bool = False) -> dict[uuid.UUID, CartEntry]:
        """The account's lines by product, in the order they were first added; with `lock`, held until commit
        (a checkout: the same cart checked out twice at once places one order)."""
        statement = (
            scoped_select(CART, CART.c.product_id, CART.c.quantity, CART.c.quoted_price)
            .where(CART.c.account_id == account_id)
            .order_by(CART.c.added_at, CART.c.product_id)
        )
        if lock:
            statement = statement.with_for_update()
        rows = await self.session.execute(statement, {COMPANY: self.company_id})
        return {row.product_id: CartEntry(row.quantity, row.quoted_price) for row in rows}

    async def line_count(self, account_id: uuid.UUID) -> int:
        statement = scoped_select(CART, func.count()).where(CART.c.account_id == account_id)
        return int(await self.session.scalar(statement, {COMPANY: self.company_id}) or 0)

    async def lock_lines(self, account_id: uuid.UUID) -> dict[uuid.UUID, int]:
        """The account's lines, held until commit: two changes of one cart at once (two tabs) take turns."""
        statement = (
            scoped_select(CART, CART.c.product_id, CART.c.quantity)
            .where(CART.c.account_id == account_id)
            .order_by(CART.c.product_id)
            .with_for_update()
        )
        rows = await self.session.execute(statement, {COMPANY: self.company_id})
        return {row.product_id: row.quantity for row in rows}

    async def set_lines(
        self, account_id: uuid.UUID, customer_id: uuid.UUID, entries: dict[uuid.UUID, CartEntry], now: datetime
    ) -> None:
        """Set each product's quantity and quoted price in the account's cart, adding the lines it lacks (added now)."""
        if not entries:
            return
        insert = insert_for(self.session, CART)
        statement = insert.on_conflict_do_update(
            index_elements=["account_id", "product_id"],
            set_={"quantity": insert.excluded.quantity, "quoted_price": insert.excluded.quoted_price},
            # tenancy: a conflict on (account, product) with another company's line never overwrites it.
            where=CART.c.company_id == insert.excluded.company_id,
        )
        rows = [
            {
                "company_id": self.company_id,
                "account_id": account_id,
                "product_id": product_id,
                "customer_id": customer_id,
                "quantity": entry.quantity,
                "quoted_price": entry.quoted_price,
                "added_at": now,
            }
            for product_id, entry in sorted(entries.items())
        ]
        await self.session.execute(statement, rows)

    async def remove(self, account_id: uuid.UUID, product_id: uuid.UUID) -> None:
        statement = scoped_delete(CART).where(CART.c.account_id == account_id, CART.c.product_id == product_id)
        await self.session.execute(statement, {COMPANY: self.company_id})

    async def clear(self, account_id: uuid.UUID) -> None:
        await self.session.execute(
            scoped_delete(CART).where(CART.c.account_id == account_id), {COMPANY: self.company_id}
        )
