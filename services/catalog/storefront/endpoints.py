"""Storefront catalog routes (`/store/{slug}/api/...` at the gateway): products, one product, categories."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from kit.access import STOREFRONT
from kit.context import Context
from kit.db import ReadSession
from kit.errors import InvalidInput, NotFound, ServiceUnavailable, Unauthorized, problem_responses
from kit.pagination import Cursor, Limit
from services.catalog.storefront import service
from services.catalog.storefront.schemas import CategoryList, StorefrontProduct, StorefrontProductPage

router = APIRouter(prefix="/storefront", tags=["storefront catalog"], dependencies=[STOREFRONT])

SearchText = Annotated[str | None, Query(max_length=200, description="Part of the name or SKU, in any letter case.")]
CategoryFilter = Annotated[str | None, Query(max_length=100, description="Only products of this category.")]


@router.get(
    "/products",
    response_model=StorefrontProductPage,
    responses=problem_responses(InvalidInput, Unauthorized, ServiceUnavailable),
)
async def list_storefront_products(
    session: ReadSession,
    context: Context,
    q: SearchText = None,
    category: CategoryFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Products on sale, by name, with the signed-in customer's prices; guests see them only if the company allows."""
    body = await service.product_page_json(
        session, context, query=q.strip() if q else None, category=category, limit=limit, cursor=cursor
    )
    return Response(body, media_type="application/json")


@router.get("/products/{product_id}", responses=problem_responses(Unauthorized, NotFound))
async def get_storefront_product(session: ReadSession, context: Context, product_id: uuid.UUID) -> StorefrontProduct:
    """One product on sale; an archived product is not found."""
    return await service.product(session, context, product_id)


@router.get("/categories", responses=problem_responses(Unauthorized, NotFound))
async def list_storefront_categories(session: ReadSession, context: Context) -> CategoryList:
    """The categories of the products on sale, sorted, for the catalog's filter."""
    return await service.categories(session, context)
