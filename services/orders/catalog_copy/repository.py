"""Queries on orders' copy of catalog: the consumer's batched upserts, and products priced for a customer."""

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import ReadOnlySession, upsert_newer
from kit.repository import COMPANY, scoped_select
from services.orders.models import PriceOverride, Product

PRODUCTS = cast(Table, Product.__table__)
OVERRIDES = cast(Table, PriceOverride.__table__)


async def apply_product_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Products as catalog's events left them (each row its company's), kept only over an older version."""
    await upsert_newer(session, PRODUCTS, rows, key=["id"], version="version")


async def apply_price_override_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Price overrides as catalog's events left them, kept only over an older version."""
    await upsert_newer(session, OVERRIDES, rows, key=["id"], version="version")


# The company's live products among `product_ids`, each with the customer's live override if it has one.
# Overrides are ordered by id (time-ordered): should a removal still be on its way while the pair's new
# override has arrived, the newer one is read last and wins.
_PRICED = (
    scoped_select(
        PRODUCTS,
        PRODUCTS.c.id,
        PRODUCTS.c.sku,
        PRODUCTS.c.name,
        PRODUCTS.c.unit_of_sale,
        PRODUCTS.c.currency,
        PRODUCTS.c.unit_price,
        PRODUCTS.c.status,
        OVERRIDES.c.unit_price.label("override_price"),
    )
    .outerjoin(
        OVERRIDES,
        (OVERRIDES.c.company_id == PRODUCTS.c.company_id)
        & (OVERRIDES.c.product_id == PRODUCTS.c.id)
        & (OVERRIDES.c.customer_id == bindparam("customer_id", type_=OVERRIDES.c.customer_id.type))
        & OVERRIDES.c.deleted_at.is_(None),
    )
    .where(
        PRODUCTS.c.id.in_(bindparam("product_ids", expanding=True, type_=PRODUCTS.c.id.type)),
        PRODUCTS.c.deleted_at.is_(None),
    )
    .order_by(PRODUCTS.c.id, OVERRIDES.c.id)
)


async def priced_rows(
    session: ReadOnlySession, company_id: uuid.UUID, product_ids: Sequence[uuid.UUID], customer_id: uuid.UUID | None
) -> Sequence[Row[Any]]:
    """One statement: the live products among `product_ids`, with `override_price` for the customer (or None)."""
    parameters = {COMPANY: company_id, "product_ids": list(product_ids), "customer_id": customer_id}
    return (await session.execute(_PRICED, parameters)).all()
