"""Plan and subscription routes."""

from fastapi import APIRouter

from kit.access import PUBLIC, staff
from kit.context import Context
from kit.db import Session
from kit.errors import Conflict, Forbidden, InvalidInput, Unauthorized, problem_responses
from kit.pagination import Page
from services.identity.billing import service
from services.identity.billing.schemas import PlanRead, SubscriptionChange, SubscriptionRead

router = APIRouter(prefix="/api/v1", tags=["plans & billing"])


@router.get("/plans", dependencies=[PUBLIC])
async def list_plans(session: Session) -> Page[PlanRead]:
    """Every plan with its price and limits (`null` = unlimited). Public: the signup page shows them."""
    return Page(items=await service.list_plans(session))


@router.get("/subscription", dependencies=[staff()], responses=problem_responses(Unauthorized, Forbidden))
async def get_subscription(session: Session, context: Context) -> SubscriptionRead:
    """The company's plan, trial, limits and current usage."""
    return await service.subscription_overview(session, context)


@router.post(
    "/subscription",
    dependencies=[staff("OWNER")],
    responses=problem_responses(InvalidInput, Unauthorized, Forbidden, Conflict),
)
async def change_subscription(session: Session, context: Context, body: SubscriptionChange) -> SubscriptionRead:
    """Choose a plan (owner only), with the billing profile the company is invoiced as: required the first time,
    replaced when given again (the current plan with a new profile changes only the profile). The plan applies at
    once; a plan smaller than what the company uses is refused."""
    await service.change_plan(session, body, context=context)
    return await service.subscription_overview(session, context)
