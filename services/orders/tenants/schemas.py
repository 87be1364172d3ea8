"""Orders' public view of its tenant read model, and the parts of identity's events it reads."""

from datetime import datetime

from kit.schemas import CamelModel


class OrderLimits(CamelModel):
    """The plan's monthly order limit, its use this month, and whether new orders are taken at all."""

    max_orders_per_month: int | None
    orders_this_month: int
    trial_ends_at: datetime | None
    # False once a trial has ended without a paid plan: new orders are refused until one is chosen.
    accepting_orders: bool


class CompanyFacts(CamelModel):
    """`data` of CompanyCreated / CompanyUpdated; fields orders does not need are ignored."""

    name: str
    slug: str


class PlanLimits(CamelModel):
    max_orders_per_month: int | None = None


class SubscriptionFacts(CamelModel):
    """`data` of TrialStarted / SubscriptionChanged."""

    plan_code: str
    status: str
    trial_ends_at: datetime | None = None
    limits: PlanLimits
