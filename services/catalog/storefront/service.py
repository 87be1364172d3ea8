"""Storefront catalog rules: only ACTIVE products, and whose prices the caller may see.

Signed-in customers and their contacts see their customer's effective prices (its own price where it
has one, else the list price); guests see list prices only if the company allows it.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from kit.context import RequestContext
from kit.db import ReadOnlySession
from kit.repository import found
from services.catalog.price_overrides.repository import PriceOverrideReader
from services.catalog.products.repository import ProductReader
from services.catalog.storefront.schemas import CategoryList, StorefrontProduct, storefront_page_json
from services.catalog.tenants.service import get_tenant


@dataclass(frozen=True)
class Shopper:
    """Who is browsing the storefront: the customer they buy for (None for a guest), and whether they see prices."""

    company_id: uuid.UUID
    currency: str
    customer_id: uuid.UUID | None
    prices_visible: bool


def customer_of(context: RequestContext) -> uuid.UUID | None:
    """The customer a signed-in customer or contact buys for; None for a guest.

    The gateway resolves the principal afresh on every request, so its customer can be trusted as is.
    """
    principal = context.principal
    if principal.type not in ("customer", "contact"):
        return None
    # A customer's own account acts for itself.
    return principal.customer_id or (principal.id if principal.type == "customer" else None)


def shopper_of(context: RequestContext, *, currency: str, show_prices_to_guests: bool) -> Shopper:
    customer_id = customer_of(context)
    prices_visible = customer_id is not None or show_prices_to_guests
    return Shopper(context.require_company(), currency, customer_id, prices_visible)


async def shopper(session: ReadOnlySession, context: RequestContext) -> Shopper:
    tenant = await get_tenant(session, context.require_company())
    return shopper_of(context, currency=tenant.currency, show_prices_to_guests=tenant.show_prices_to_guests)


async def _custom_prices(
    session: ReadOnlySession, shopper: Shopper, product_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    if shopper.customer_id is None:
        return {}
    overrides = PriceOverrideReader(session, shopper.company_id)
    return await overrides.prices_for_customer(shopper.customer_id, product_ids)


async def product_page_json(
    session: ReadOnlySession,
    context: RequestContext,
    *,
    query: str | None,
    category: str | None,
    limit: int,
    cursor: str | None,
) -> bytes:
    """A StorefrontProductPage, as JSON."""
    rows, next_cursor = await ProductReader(session, context.require_company()).active_page(
        query=query, category=category, customer_id=customer_of(context), limit=limit, cursor=cursor
    )
    # The page's rows carry the tenant's settings (one query); only an empty page asks for them apart.
    if rows:
        viewer = shopper_of(context, currency=rows[0].currency, show_prices_to_guests=rows[0].show_prices_to_guests)
    else:
        viewer = await shopper(session, context)
    return storefront_page_json(
        rows, next_cursor=next_cursor, currency=viewer.currency, prices_visible=viewer.prices_visible
    )


async def product(session: ReadOnlySession, context: RequestContext, product_id: uuid.UUID) -> StorefrontProduct:
    """An ACTIVE product; an archived one (or another company's) is not found."""
    viewer = await shopper(session, context)
    item = found(await ProductReader(session, viewer.company_id).get_active(product_id), "Product")
    prices = await _custom_prices(session, viewer, [item.id])
    return StorefrontProduct.of(
        item, currency=viewer.currency, prices_visible=viewer.prices_visible, custom_price=prices.get(item.id)
    )


async def categories(session: ReadOnlySession, context: RequestContext) -> CategoryList:
    company_id = context.require_company()
    await get_tenant(session, company_id)
    return CategoryList(items=await ProductReader(session, company_id).active_categories())
