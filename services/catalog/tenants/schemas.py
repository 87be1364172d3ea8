"""Catalog's public view of its tenant read model, and the parts of identity's events it reads."""

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from kit.schemas import CamelModel
from services.catalog.models import DEFAULT_CURRENCY


class CatalogLimits(CamelModel):
    """The plan's product limit and how much of it is used."""

    max_products: int | None
    active_products: int


class CompanyFacts(CamelModel):
    """`data` of CompanyCreated / CompanyUpdated; fields catalog does not need are ignored.

    `currency` and `showPricesToGuests` came later: events without them read as USD, no guest prices.
    """

    name: str
    slug: str
    currency: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=3, max_length=3)] = (
        DEFAULT_CURRENCY
    )
    show_prices_to_guests: bool = False


class PlanLimits(CamelModel):
    max_products: int | None = None


class SubscriptionFacts(CamelModel):
    """`data` of TrialStarted / SubscriptionChanged."""

    plan_code: str
    status: str
    trial_ends_at: datetime | None = None
    limits: PlanLimits
