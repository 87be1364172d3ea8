"""Request and response bodies of the company endpoints."""

import uuid
from datetime import datetime
from typing import Annotated

import pycountry
from pydantic import AfterValidator, Field, StrictBool, StringConstraints

from kit.schemas import CamelModel

# A storefront slug as `validate_slug` (companies.service) accepts it.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CompanyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CompanySummary(CamelModel):
    id: uuid.UUID
    name: str
    slug: str


def currency_code(value: str) -> str:
    if pycountry.currencies.get(alpha_3=value) is None:
        raise ValueError(CURRENCY_RULE)
    return value


CURRENCY_RULE = "Use a three-letter ISO 4217 currency code, e.g. USD, EUR or GBP."
Currency = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, min_length=3, max_length=3),
    AfterValidator(currency_code),
    Field(description=CURRENCY_RULE, json_schema_extra={"enum": sorted(c.alpha_3 for c in pycountry.currencies)}),
]


class CompanyRead(CompanySummary):
    currency: str
    show_prices_to_guests: bool
    created_at: datetime


class CompanyUpdate(CamelModel):
    """Fields left out (or null) stay as they are."""

    name: CompanyName | None = None
    # Checked by the service (see `validate_slug`) so the message can say what a slug may contain;
    # the document states the same rule.
    slug: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=200),
            Field(json_schema_extra={"pattern": SLUG_PATTERN, "minLength": 3, "maxLength": 50}),
        ]
        | None
    ) = None
    # Prices are not converted: the catalog's amounts are read in the new currency.
    currency: Currency | None = None
    show_prices_to_guests: StrictBool | None = None


class CompanyDeletion(CamelModel):
    """Deleting the company needs its storefront address typed again, so a slip cannot do it."""

    confirm_slug: Annotated[str, StringConstraints(max_length=200)]


class CompanyDeletionRead(CamelModel):
    """The deletion is done in identity; every other service purges the company's rows shortly after."""

    id: uuid.UUID
    deleted_at: datetime
