"""Rules of the storefront cart: one per signed-in account, priced at the customer's prices whenever it is read."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kit.context import RequestContext
from kit.db import utcnow
from services.orders.cart.repository import CartEntry, CartRepository
from services.orders.cart.schemas import Cart, CartIssue, CartLine, ReorderResult, UnavailableLine
from services.orders.catalog_copy.pricing import price_products
from services.orders.orders.buyers import StorefrontAccount, storefront_account
from services.orders.orders.lines import PricedLine, total_of, unavailable_reason
from services.orders.orders.schemas import MAX_LINES, MAX_QUANTITY
from services.orders.orders.service import OrderRejected, customer_order_lines

CART_FULL = f"A cart holds at most {MAX_LINES} different products; order these first, or remove some."


async def priced_cart(session: AsyncSession, account: StorefrontAccount) -> Cart:
    entries = await CartRepository(session, account.company_id).lines(account.account_id)
    prices = await price_products(session, account.company_id, list(entries), account.customer_id)
    lines: list[PricedLine] = []
    issues: list[CartIssue] = []
    for product_id, entry in entries.items():
        product = prices.get(product_id)
        reason = unavailable_reason(product_id, product)
        if reason is not None or product is None:
            issues.append(CartIssue(product_id=product_id, message=reason or ""))
        else:
            lines.append(PricedLine(product, entry.quantity))
    total = total_of(lines)
    return Cart(
        items=[
            CartLine(
                product_id=line.product.id,
                sku=line.product.sku,
                name=line.product.name,
                unit_of_sale=line.product.unit_of_sale,
                quantity=line.quantity,
                unit_price=line.product.unit_price,
                list_price=line.product.list_price,
                line_total=line.line_total,
            )
            for line in lines
        ],
        currency=lines[0].product.currency if lines else None,
        subtotal=total,
        total=total,
        issues=issues,
    )


async def get_cart(session: AsyncSession, context: RequestContext) -> Cart:
    """The signed-in account's cart; a VIEWER has none (403)."""
    return await priced_cart(session, storefront_account(context, buying=True))


async def set_quantity(session: AsyncSession, context: RequestContext, product_id: uuid.UUID, quantity: int) -> Cart:
    """Put `quantity` of the product in the cart (0 takes it out); only a product on sale can be added."""
    account = storefront_account(context, buying=True)
    cart = CartRepository(session, account.company_id)
    if quantity == 0:
        await cart.remove(account.account_id, product_id)
        return await priced_cart(session, account)
    product = (await price_products(session, account.company_id, [product_id], account.customer_id)).get(product_id)
    reason = unavailable_reason(product_id, product)
    if reason is not None or product is None:
        message = reason or ""
        raise OrderRejected(message, errors=[{"field": "productId", "message": message}])
    lines = await cart.lock_lines(account.account_id)
    if product_id not in lines and len(lines) >= MAX_LINES:
        raise OrderRejected(CART_FULL, errors=[{"field": "productId", "message": CART_FULL}])
    entry = CartEntry(quantity, product.unit_price)
    await cart.set_lines(account.account_id, account.customer_id, {product_id: entry}, utcnow())
    return await priced_cart(session, account)


async def clear_cart(session: AsyncSession, context: RequestContext) -> None:
    account = storefront_account(context, buying=True)
    await CartRepository(session, account.company_id).clear(account.account_id)


async def reorder(session: AsyncSession, context: RequestContext, order_id: uuid.UUID) -> ReorderResult:
    """Add a past order's lines to the cart (quantities add up), at today's prices; lines that can no longer be
    ordered are reported, not added."""
    account = storefront_account(context, buying=True)
    items = await customer_order_lines(account, session, order_id)
    prices = await price_products(session, account.company_id, [item.product_id for item in items], account.customer_id)
    cart = CartRepository(session, account.company_id)
    current = await cart.lock_lines(account.account_id)
    updates: dict[uuid.UUID, CartEntry] = {}
    unavailable: list[UnavailableLine] = []
    lines = len(current)
    for item in items:
        product = prices.get(item.product_id)
        reason = unavailable_reason(item.product_id, product)
        if reason is None and item.product_id not in current:
            if lines >= MAX_LINES:
                reason = CART_FULL
            else:
                lines += 1
        if reason is not None or product is None:
            unavailable.append(
                UnavailableLine(product_id=item.product_id, sku=item.sku, name=item.name, message=reason or "")
            )
            continue
        quantity = min(current.get(item.product_id, 0) + item.quantity, MAX_QUANTITY)
        updates[item.product_id] = CartEntry(quantity, product.unit_price)
    await cart.set_lines(account.account_id, account.customer_id, updates, utcnow())
    return ReorderResult(cart=await priced_cart(session, account), unavailable=unavailable)
