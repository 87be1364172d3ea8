"""Storefront catalog rules: only ACTIVE products, and whose prices the caller may see.

Signed-in customers and their contacts see their customer's effective prices (its own price where it
has one, else the list price); guests see list prices only if the company allows it.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kit.context import RequestContext
from kit.repository import found
from services.catalog.price_overrides.repository import PriceOverrideRepository
from services.catalog.products.repository import ProductRepository
from services.catalog.storefront.schemas import CategoryList, StorefrontProduct, StorefrontProductPage
from services.catalog.tenants.service import get_tenant


@dataclass(frozen=True)
class Shopper:
    """Who is browsing the storefront: the customer they buy for (None for a guest), and whether they see prices."""

    company_id: uuid.UUID
    currency: str
    customer_id: uuid.UUID | None
    prices_visible: bool


async def shopper(session: AsyncSession, context: RequestContext) -> Shopper:
    """The gateway resolves the principal afresh on every request, so its customer can be trusted as is."""
    company_id = context.require_company()
    tenant = await get_tenant(session, company_id)
    principal = context.principal
    customer_id = None
    if principal.type in ("customer", "contact"):
        # A customer's own account acts for itself.
        customer_id = principal.customer_id or (principal.id if principal.type == "customer" else None)
    prices_visible = customer_id is not None or tenant.show_prices_to_guests
    return Shopper(company_id, tenant.currency, customer_id, prices_visible)


async def _custom_prices(
    session: AsyncSession, shopper: Shopper, product_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    if shopper.customer_id is None:
        return {}
    overrides = PriceOverrideRepository(session, shopper.company_id)
    return await overrides.prices_for_customer(shopper.customer_id, product_ids)


async def product_page(
    session: AsyncSession,
    context: RequestContext,
    *,
    query: str | None,
    category: str | None,
    limit: int,
    cursor: str | None,
) -> StorefrontProductPage:
    viewer = await shopper(session, context)
    rows, next_cursor = await ProductRepository(session, viewer.company_id).active_page(
        query=query, category=category, customer_id=viewer.customer_id, limit=limit, cursor=cursor
    )
    items = [
        StorefrontProduct.of(
            row, currency=viewer.currency, prices_visible=viewer.prices_visible, custom_price=row.custom_price
        )
        for row in rows
    ]
    return StorefrontProductPage(
        items=items, next_cursor=next_cursor, prices_visible=viewer.prices_visible, currency=viewer.currency
    )


async def product(session: AsyncSession, context: RequestContext, product_id: uuid.UUID) -> StorefrontProduct:
    """An ACTIVE product; an archived one (or another company's) is not found."""
    viewer = await shopper(session, context)
    item = found(await ProductRepository(session, viewer.company_id).get_active(product_id), "Product")
    prices = await _custom_prices(session, viewer, [item.id])
    return StorefrontProduct.of(
        item, currency=viewer.currency, prices_visible=viewer.prices_visible, custom_price=prices.get(item.id)
    )


async def categories(session: AsyncSession, context: RequestContext) -> CategoryList:
    company_id = context.require_company()
    await get_tenant(session, company_id)
    return CategoryList(items=await ProductRepository(session, company_id).active_categories())
