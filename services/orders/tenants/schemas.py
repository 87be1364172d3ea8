"""Orders' public view of its tenant read model."""

from datetime import datetime

from kit.schemas import CamelModel


class OrderLimits(CamelModel):
    """The plan's monthly order limit, its use this month, and whether new orders are taken at all."""

    max_orders_per_month: int | None
    orders_this_month: int
    trial_ends_at: datetime | None
    # False once a trial has ended without a paid plan: new orders are refused until one is chosen.
    accepting_orders: bool
