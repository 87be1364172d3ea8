"""Money as people read it, formatted by Babel: `$19.00`, `19,00 €`, `£7.25` — never `USD 19.00`.

Which locale formats an amount is decided by its currency, not by the viewer: a distributor's prices read
the way its own customers write them, whoever looks. The currency's home is the country its ISO 4217 code
starts with (USD → US, SEK → SE); the euro's home is taken to be Germany (`19,00 €`). The amount is then
formatted in that country's most likely language, when that language is written in Latin script (the pages
are in English; `1.234,50 €` and `1 234,50 kr` read fine in them). Otherwise (yen, rupee, riyal), it is
English with the currency's symbol (`¥1,234`, `₹1,234.50`), or its code when English has no symbol for it.
"""

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import format_currency
from markupsafe import Markup, escape

# Currencies whose code does not start with a country's code: the country whose usage they follow.
CURRENCY_HOMES = {"EUR": "DE"}

_LETTERS_THEN_DIGIT = re.compile(r"^([^\W\d_]+)(\d)")


@lru_cache(maxsize=256)
def money_locale(currency: str) -> Locale:
    """The locale that formats amounts of `currency` (see the module's note)."""
    home = CURRENCY_HOMES.get(currency, currency[:2])
    likely = get_global("likely_subtags").get(f"und_{home}")
    if likely is not None and likely.split("_")[1:2] == ["Latn"]:
        try:
            return Locale.parse(likely)
        except (UnknownLocaleError, ValueError):
            pass
    try:
        return Locale.parse(f"en_{home}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def _amount(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_money(amount: object, currency: str | None) -> str:
    """`amount` (the API's decimal string, or a number) in `currency`, as people write it; what cannot be read
    as an amount is shown as it came."""
    number = _amount(amount)
    if number is None or not currency:
        return f"{currency or ''} {amount if amount is not None else ''}".strip()
    text = format_currency(number, currency, locale=money_locale(currency.upper()))
    # CLDR spaces a letter symbol from the digits ("SAR 12.50"); Babel does not.
    return _LETTERS_THEN_DIGIT.sub("\\1\u00a0\\2", text, count=1)


def money_html(amount: object, currency: str | None) -> Markup:
    """The amount for a page: one `<span class="money">`, kept on one line."""
    return Markup('<span class="money" data-currency="{}">{}</span>').format(
        escape(currency or ""), format_money(amount, currency)
    )


def is_below(price: object, reference: object) -> bool:
    """Whether `price` is less than `reference` (both amounts): only then is the reference shown as a
    struck-through price, a discount. A customer price above the list price is no discount."""
    low, high = _amount(price), _amount(reference)
    return low is not None and high is not None and low < high
