"""Plan and subscription bodies. A `null` limit means unlimited."""

from datetime import datetime
from typing import Literal

# The limits travel in TrialStarted and SubscriptionChanged: one definition, the contract's.
from contracts.identity import PlanLimits as PlanLimits
from kit.schemas import CamelModel


class PlanRead(CamelModel):
    code: str
    name: str
    # Decimal string, e.g. "29.00", as all money in the API.
    monthly_price: str
    currency: str
    limits: PlanLimits


class Usage(CamelModel):
    team_members: int
    customers: int
    products: int
    orders_this_month: int


SubscriptionState = Literal["TRIALING", "ACTIVE", "EXPIRED", "PAST_DUE", "CANCELED"]


class SubscriptionRead(CamelModel):
    plan_code: str
    plan_name: str
    # TRIALING until the trial ends; EXPIRED once it has ended without a paid plan.
    status: SubscriptionState
    trial_ends_at: datetime | None
    # Whole days left, rounded up (0 once expired); null when not trialing.
    trial_days_left: int | None
    limits: PlanLimits
    usage: Usage


class SubscriptionChange(CamelModel):
    """Choose a plan. Payment is not taken yet: the plan applies at once and the subscription is ACTIVE."""

    plan_code: str
