"""Orders' tenant endpoints: what the company's plan allows in ordering."""

from fastapi import APIRouter

from kit.access import staff
from kit.context import Context
from kit.db import Session, utcnow
from kit.errors import ServiceUnavailable, Unauthorized, problem_responses
from services.orders.tenants import service
from services.orders.tenants.schemas import OrderLimits

# Registered before the orders router, so `/orders/limits` is never taken for an order id.
router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


@router.get(
    "/limits", dependencies=[staff(scope="orders")], responses=problem_responses(Unauthorized, ServiceUnavailable)
)
async def get_order_limits(context: Context, session: Session) -> OrderLimits:
    """The monthly order limit (`null` = unlimited), this month's count, the trial end, and whether orders are taken."""
    company_id = context.require_company()
    tenant = await service.get_tenant(session, company_id)
    now = utcnow()
    return OrderLimits(
        max_orders_per_month=tenant.max_orders_per_month,
        orders_this_month=await service.orders_this_month(session, company_id, now),
        trial_ends_at=tenant.trial_ends_at,
        accepting_orders=service.accepts_orders(tenant, now),
    )
