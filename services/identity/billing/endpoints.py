"""Plan and subscription routes."""

from fastapi import APIRouter

from kit.context import Context
from kit.db import Session
from kit.errors import Forbidden, Unauthorized, problem_responses
from kit.pagination import Page
from services.identity.billing import service
from services.identity.billing.schemas import PlanRead, SubscriptionRead

router = APIRouter(prefix="/api/v1", tags=["plans & billing"])


@router.get("/plans")
async def list_plans(session: Session) -> Page[PlanRead]:
    """Every plan with its price and limits (`null` = unlimited). Public: the signup page shows them."""
    return Page(items=await service.list_plans(session))


@router.get("/subscription", responses=problem_responses(Unauthorized, Forbidden))
async def get_subscription(session: Session, context: Context) -> SubscriptionRead:
    """The company's plan, trial, limits and current usage."""
    return await service.subscription_overview(session, context)
