"""Money on the wire: decimal strings with two places ("12.50"), never binary floats."""

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

CENT = Decimal("0.01")
# ASCII digits only: \d and Decimal() also take other scripts' digits ("١٢" would read as 12), and
# Decimal() takes exponents and surrounding spaces, none of which a price on the wire should have.
PRICE_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
_PRICE = re.compile(PRICE_PATTERN)
PRICE_RULE = "Enter a price like 12.50: digits, optionally a point and one or two more digits."


def _decimal_text(value: Any) -> Any:
    """A price from a client is a decimal string; a Decimal is one of ours (read from the database).

    JSON numbers are refused rather than read: a float has already lost what the client meant
    (0.1 + 0.2 arrives as 0.30000000000000004), and the API documents prices as strings.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str) and _PRICE.fullmatch(value):
        return Decimal(value)
    raise PydanticCustomError("price_text", PRICE_RULE)


def _two_places(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def money_text(value: Decimal) -> str:
    """The wire form: always two decimal places."""
    return f"{value:.2f}"


# Parsed from an ASCII decimal string ("12.50", "12"), 0 <= amount < 10^10, at most two decimal places.
Money = Annotated[
    Decimal,
    BeforeValidator(_decimal_text),
    Field(ge=0, lt=10**10, decimal_places=2, allow_inf_nan=False),
    AfterValidator(_two_places),
    PlainSerializer(money_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": PRICE_PATTERN, "examples": ["12.50"]}),
]

# A currency a client names; the service checks it against the company's (prices have none of their own).
CurrencyCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=3)]
