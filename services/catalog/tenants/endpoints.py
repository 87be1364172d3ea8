"""Catalog's tenant endpoints: what the company's plan allows in the catalog."""

from fastapi import APIRouter

from kit.access import require_staff_or_key, staff
from kit.context import Context
from kit.db import Session
from kit.errors import Forbidden, ServiceUnavailable, Unauthorized, problem_responses
from services.catalog.products.repository import ProductCounterRepository, ProductRepository
from services.catalog.tenants import service
from services.catalog.tenants.schemas import CatalogLimits

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


@router.get(
    "/limits",
    dependencies=[staff(scope="catalog")],
    responses=problem_responses(Unauthorized, Forbidden, ServiceUnavailable),
)
async def get_catalog_limits(context: Context, session: Session) -> CatalogLimits:
    """The plan's product limit (`null` = unlimited) and the ACTIVE products counted against it."""
    company_id = require_staff_or_key(context, "catalog:read")
    tenant = await service.get_tenant(session, company_id)
    active = await ProductCounterRepository(session, company_id).active()
    if active is None:
        # No product change has made the company's counter yet.
        active = await ProductRepository(session, company_id).count_active()
    return CatalogLimits(max_products=tenant.max_products, active_products=active)
