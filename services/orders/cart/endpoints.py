"""Storefront cart routes (`/store/{slug}/api/cart...` at the gateway): read, change a line, empty it."""

import uuid

from fastapi import APIRouter, status

from kit.access import STOREFRONT
from kit.context import Context
from kit.db import Session
from kit.errors import Forbidden, ServiceUnavailable, Unauthorized, problem_responses
from services.orders.cart import service
from services.orders.cart.schemas import Cart, CartQuantity
from services.orders.orders.service import OrderRejected

router = APIRouter(prefix="/storefront/cart", tags=["storefront ordering"], dependencies=[STOREFRONT])


@router.get("", responses=problem_responses(Unauthorized, Forbidden))
async def get_cart(session: Session, context: Context) -> Cart:
    """The signed-in account's cart at this customer's prices now; products no longer on sale are listed in
    `issues` and left out of the totals. VIEWER accounts have no cart (403)."""
    return await service.get_cart(session, context)


@router.put(
    "/items/{product_id}",
    responses=problem_responses(Unauthorized, Forbidden, OrderRejected, ServiceUnavailable),
)
async def set_cart_item(session: Session, context: Context, product_id: uuid.UUID, body: CartQuantity) -> Cart:
    """Set how many of a product are in the cart (0 removes it); a product not on sale is refused (422)."""
    return await service.set_quantity(session, context, product_id, body.quantity)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(Unauthorized, Forbidden))
async def clear_cart(session: Session, context: Context) -> None:
    """Empty the signed-in account's cart."""
    await service.clear_cart(session, context)
