"""Price override routes for staff and integrators: list, set, change and remove customers' own prices."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from kit.access import staff
from kit.context import Context
from kit.db import Session
from kit.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, problem_responses
from kit.pagination import Cursor, Limit, Page
from services.catalog.price_overrides import service
from services.catalog.price_overrides.schemas import PriceOverrideCreate, PriceOverrideRead, PriceOverrideUpdate

router = APIRouter(prefix="/api/v1/price-overrides", tags=["price overrides"], dependencies=[staff(scope="catalog")])


@router.get("", responses=problem_responses(InvalidInput, Unauthorized, Forbidden, NotFound))
async def list_price_overrides(
    session: Session,
    context: Context,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    product_id: Annotated[uuid.UUID | None, Query(alias="productId")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PriceOverrideRead]:
    """The company's price overrides, newest first; `customerId` and `productId` narrow the list."""
    return await service.override_page(
        session, context, customer_id=customer_id, product_id=product_id, limit=limit, cursor=cursor
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(InvalidInput, Unauthorized, Forbidden, NotFound, Conflict),
)
async def create_price_override(session: Session, context: Context, body: PriceOverrideCreate) -> PriceOverrideRead:
    """Give a customer its own price for a product; all its contacts get it. One per customer and product."""
    return await service.set_override(session, body, context=context)


@router.get("/{override_id}", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def get_price_override(session: Session, context: Context, override_id: uuid.UUID) -> PriceOverrideRead:
    return await service.staff_override(session, context, override_id)


@router.patch("/{override_id}", responses=problem_responses(InvalidInput, Unauthorized, Forbidden, NotFound))
async def update_price_override(
    session: Session, context: Context, override_id: uuid.UUID, body: PriceOverrideUpdate
) -> PriceOverrideRead:
    """Change the customer's price."""
    return await service.change_override(session, override_id, body, context=context)


@router.delete(
    "/{override_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def delete_price_override(session: Session, context: Context, override_id: uuid.UUID) -> None:
    """Remove the customer's own price: it pays the list price again."""
    await service.remove_override(session, override_id, context=context)
