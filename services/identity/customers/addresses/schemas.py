"""Request and response bodies of the address endpoints (dashboard and storefront alike)."""

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, Field, StrictBool, StringConstraints, field_validator

from kit.schemas import CamelModel, blank_is_none
from services.identity.customers.schemas import OptionalText100
from services.identity.models import Address

COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")
COUNTRY_RULE = "Use the two-letter ISO 3166-1 country code, e.g. US, DE or GB."


ISO_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)


def country_code(value: str) -> str:
    if not COUNTRY_PATTERN.fullmatch(value) or value not in ISO_COUNTRIES:
        raise ValueError(COUNTRY_RULE)
    return value


# Lengths match the columns (models.Address).
AddressLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalAddressLine = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None, AfterValidator(blank_is_none)
]
City = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Country = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True),
    AfterValidator(country_code),
    Field(description=COUNTRY_RULE, json_schema_extra={"enum": sorted(ISO_COUNTRIES)}),
]
Phone = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None, AfterValidator(blank_is_none)
]


class AddressCreate(CamelModel):
    label: OptionalText100 = None
    recipient: OptionalText100 = None
    line1: AddressLine
    line2: OptionalAddressLine = None
    city: City
    region: OptionalText100 = None
    postal_code: PostalCode
    country: Country
    phone: Phone = None
    # The customer's first address is the default whatever this says.
    is_default: StrictBool = False


def _without_null(schema: dict[str, Any]) -> None:
    """For the API document: the field may be left out but is refused as null (`_not_null` below)."""
    options = [option for option in schema.pop("anyOf", []) if option.get("type") != "null"]
    schema.update(options[0] if len(options) == 1 else {"anyOf": options})


class AddressUpdate(CamelModel):
    """Fields left out stay as they are; optional ones given as null (or blank) are cleared.

    `isDefault: true` makes this the default in place of the previous one; the default stops being
    one only when another address becomes the default.
    """

    label: OptionalText100 = None
    recipient: OptionalText100 = None
    line1: AddressLine | None = Field(None, json_schema_extra=_without_null)
    line2: OptionalAddressLine = None
    city: City | None = Field(None, json_schema_extra=_without_null)
    region: OptionalText100 = None
    postal_code: PostalCode | None = Field(None, json_schema_extra=_without_null)
    country: Country | None = Field(None, json_schema_extra=_without_null)
    phone: Phone = None
    is_default: StrictBool | None = Field(None, json_schema_extra=_without_null)

    @field_validator("line1", "city", "postal_code", "country", "is_default")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Only runs for values sent: these fields can be left out, never emptied.
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class AddressRead(CamelModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    label: str | None
    recipient: str | None
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str
    phone: str | None
    is_default: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, address: Address) -> "AddressRead":
        return cls.model_validate(address)
