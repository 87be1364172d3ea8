"""Plan and subscription bodies. A `null` limit means unlimited."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, StringConstraints

# The limits travel in TrialStarted and SubscriptionChanged: one definition, the contract's.
from contracts.identity import PlanLimits as PlanLimits
from kit.schemas import CamelModel, blank_is_none
from services.identity.accounts.schemas import EmailAddress
from services.identity.customers.addresses.schemas import AddressLine, City, Country, OptionalAddressLine, PostalCode
from services.identity.customers.schemas import OptionalText100


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


# Lengths match the columns (models.BillingProfile).
LegalName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TaxId = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None, AfterValidator(blank_is_none)
]


class BillingProfileFields(CamelModel):
    """Who the company bills as: the seller on its invoices (VAT number, EIN or other tax ID where it has one)."""

    legal_name: LegalName
    email: EmailAddress
    address_line1: AddressLine
    address_line2: OptionalAddressLine = None
    city: City
    region: OptionalText100 = None
    postal_code: PostalCode
    country: Country
    tax_id: TaxId = None


class BillingProfileRead(CamelModel):
    legal_name: str
    email: str
    address_line1: str
    address_line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str
    tax_id: str | None
    updated_at: datetime


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
    # Null until the company first chooses a plan.
    billing_profile: BillingProfileRead | None


class SubscriptionChange(CamelModel):
    """Choose a plan. Payment is not taken yet: the plan applies at once and the subscription is ACTIVE.

    `billingProfile` is required the first time; later it may be left out (the current one stays) or given
    to replace it, with the same plan to change only the profile."""

    plan_code: str
    billing_profile: BillingProfileFields | None = None
