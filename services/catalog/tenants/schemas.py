"""Catalog's public view of its tenant read model, and the parts of identity's events it reads."""

from datetime import datetime

from kit.schemas import CamelModel


class CatalogLimits(CamelModel):
    """The plan's product limit and how much of it is used."""

    max_products: int | None
    active_products: int


class CompanyFacts(CamelModel):
    """`data` of CompanyCreated / CompanyUpdated; fields catalog does not need are ignored."""

    name: str
    slug: str


class PlanLimits(CamelModel):
    max_products: int | None = None


class SubscriptionFacts(CamelModel):
    """`data` of TrialStarted / SubscriptionChanged."""

    plan_code: str
    status: str
    trial_ends_at: datetime | None = None
    limits: PlanLimits
