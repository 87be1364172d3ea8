"""Catalog's tenant endpoints: what the company's plan allows in the catalog."""

from fastapi import APIRouter

from kit.context import Context
from kit.db import Session
from kit.errors import NotFound, Unauthorized, problem_responses
from services.catalog.tenants import service
from services.catalog.tenants.schemas import CatalogLimits

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


@router.get("/limits", responses=problem_responses(Unauthorized, NotFound))
async def get_catalog_limits(context: Context, session: Session) -> CatalogLimits:
    """The plan's product limit (`null` = unlimited) and the active products counted against it."""
    tenant = await service.get_tenant(session, context.require_company())
    return CatalogLimits(max_products=tenant.max_products, active_products=0)
