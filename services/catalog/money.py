"""Money on the wire: decimal strings with two places ("12.50"), never binary floats."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StringConstraints, WithJsonSchema

CENT = Decimal("0.01")


def _exact(value: Any) -> Any:
    """A JSON number arrives as a float: read it through its shortest text form, which is what the client wrote.

    0.1 + 0.2 sent as a number reads 0.30000000000000004 and is refused for its decimal places,
    instead of being silently rounded.
    """
    if isinstance(value, bool):
        raise ValueError('Input should be a decimal amount such as "12.50"')
    if isinstance(value, float):
        return repr(value)
    return value


def _two_places(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def money_text(value: Decimal) -> str:
    """The wire form: always two decimal places."""
    return f"{value:.2f}"


# Parsed from a string (or a JSON number taken exactly), 0 <= amount < 10^10, at most two decimal places.
Money = Annotated[
    Decimal,
    BeforeValidator(_exact),
    Field(ge=0, lt=10**10, decimal_places=2, allow_inf_nan=False),
    AfterValidator(_two_places),
    PlainSerializer(money_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,10}(\.\d{1,2})?$", "examples": ["12.50"]}),
]

# A currency a client names; the service checks it against the company's (prices have none of their own).
CurrencyCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=3)]
