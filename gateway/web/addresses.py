"""The address form, laid out per country, and the countries it offers.

An address prints as its country writes it (`contracts.addresses.address_lines`, shared with the PDFs orders
issues); the form follows the same metadata (`address_form_layout`): its fields in the country's order, labelled
in its terms; the browser gets every country's layout from one cacheable document (`router`, under /static) to
lay the form out again when the country changes (static/address-form.js). The countries offered are the ISO
3166-1 ones the identity API accepts, by their English names.
"""

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, Response

from contracts.addresses import FORMAT_TOKEN, country_address_rules, country_names, with_api_fields

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


@lru_cache(maxsize=1)
def country_choices() -> tuple[tuple[str, str], ...]:
    """(code, name) of every country an address may be in, in the order of their names."""
    # Sorted as a reader would look for them: "Åland Islands" among the A's, "Côte d'Ivoire" among the C's.
    return tuple(sorted(country_names().items(), key=lambda item: _sort_key(item[1])))


def _sort_key(name: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKD", name) if not unicodedata.combining(char)).casefold()


# The form's layout for a country without metadata, or before one is chosen: the order most forms use, nothing
# presumed of its rules. (An address of such a country still prints postal code first, as before.)
_GENERIC_FORMAT = "%N%n%O%n%A%n%C%n%S%n%Z"


def address_form_values(address: Mapping[str, Any]) -> dict[str, str]:
    """An address as the API gives it → the address form's values (a missing field is empty)."""
    return {name: address.get(api_name) or "" for api_name, name in ADDRESS_FORM_FIELDS.items()}


def address_form_body(values: Mapping[str, str]) -> dict[str, Any]:
    """An address form's values → the API's address fields (without isDefault, which each form asks its own way)."""
    return {api_name: values.get(name, "") for api_name, name in ADDRESS_FORM_FIELDS.items()}


def address_form_input(form: Mapping[str, str]) -> dict[str, str]:
    """The address fields of a posted address form, as typed (to show the form again)."""
    return {name: form.get(name, "") for name in ADDRESS_FORM_FIELDS.values()}


# -- the address form, laid out per country ---------------------------------------------------------------

# The metadata's names for a country's parts → the words of the form's labels.
_REGION_LABELS = {
    "area": "Area",
    "county": "County",
    "department": "Department",
    "district": "District",
    "do_si": "Province",
    "emirate": "Emirate",
    "island": "Island",
    "oblast": "Oblast",
    "parish": "Parish",
    "prefecture": "Prefecture",
    "province": "Province",
    "state": "State",
}
_POSTAL_CODE_LABELS = {"postal": "Postal code", "zip": "ZIP code", "pin": "PIN code", "eircode": "Eircode"}
_CITY_LABELS = {"city": "City", "district": "District", "post_town": "Post town", "suburb": "Suburb"}
# The format codes of the fields the form has, in their place; the street (%A) is two lines.
_FORM_FIELDS_OF_CODE = {
    "%N": ("recipient",),
    "%A": ("line1", "line2"),
    "%C": ("city",),
    "%S": ("region",),
    "%Z": ("postal_code",),
}


@dataclass(frozen=True)
class AddressFormField:
    """One input of the address form (the country's select aside), as a country lays it out."""

    name: str  # the input's name and id, and the key of its errors
    label: str
    required: bool
    # Whether the country's addresses have this part: a part they lack is shown only while it holds a value.
    used: bool = True
    max_length: int = 100
    type: str = "text"
    wide: bool = False  # a whole row of the form, not half of one

    def as_layout(self) -> dict[str, Any]:
        """What the browser needs to lay the form out again when the country changes."""
        return {"name": self.name, "label": self.label, "required": self.required, "used": self.used}


def _optional(label: str, required: bool) -> str:
    return label if required else f"{label} (optional)"


@lru_cache(maxsize=512)
def address_form_layout(country: str | None) -> tuple[AddressFormField, ...]:
    """The address form's fields in the order the country writes its addresses, labelled in its terms (State,
    Prefecture, ZIP code, Post town…), "(optional)" on what neither the country nor the API requires; the label
    and phone last. No country (or one without metadata): the generic order and labels."""
    rules = country_address_rules(country.upper()) if country else None
    if rules is None:
        address_format, required = _GENERIC_FORMAT, frozenset[str]()
        region, postal_code, city = "Region", "Postal code", "City"
    else:
        address_format, required = with_api_fields(str(rules.address_format)), frozenset(rules.required_fields)
        region = _REGION_LABELS.get(rules.country_area_type, "Region")
        postal_code = _POSTAL_CODE_LABELS.get(rules.postal_code_type, "Postal code")
        city = _CITY_LABELS.get(rules.city_type, "City")
    region_required = "country_area" in required
    # The street, city and postal code are required whatever the country: the API needs them.
    fields = {
        "recipient": AddressFormField("recipient", "Recipient (optional)", False, wide=True),
        "line1": AddressFormField("line1", "Address line 1", True, max_length=200, wide=True),
        "line2": AddressFormField("line2", "Address line 2 (optional)", False, max_length=200, wide=True),
        "city": AddressFormField("city", city, True),
        "region": AddressFormField("region", _optional(region, region_required), region_required),
        "postal_code": AddressFormField("postal_code", postal_code, True, max_length=20),
    }
    ordered = [name for token in FORMAT_TOKEN.split(address_format) for name in _FORM_FIELDS_OF_CODE.get(token, ())]
    unused = [replace(fields[name], used=False) for name in fields if name not in ordered]
    return (
        *(fields[name] for name in ordered),
        *unused,
        AddressFormField("phone", "Phone (optional)", False, max_length=40, type="tel"),
        AddressFormField("label", "Label (optional)", False),
    )


router = APIRouter(include_in_schema=False)
ADDRESS_LAYOUTS_PATH = "/static/address-layouts.json"


@lru_cache(maxsize=1)
def _address_layouts_document() -> tuple[bytes, str]:
    """Every country's form layout for the browser, and its ETag. Countries that lay the form out alike share one
    layout (they are few), so the document stays small; "" is the layout before a country is chosen."""
    layouts: list[list[dict[str, Any]]] = []
    index: dict[str, int] = {}
    countries: dict[str, int] = {}
    for code in ["", *country_names()]:
        layout = [field.as_layout() for field in address_form_layout(code)]
        key = json.dumps(layout)
        if key not in index:
            index[key] = len(layouts)
            layouts.append(layout)
        countries[code] = index[key]
    body = json.dumps({"layouts": layouts, "countries": countries}, separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@router.get(ADDRESS_LAYOUTS_PATH)
async def address_layouts(request: Request) -> Response:
    """The address form's layout per country (`static/address-form.js` lays the form out again with it when the
    country changes). The same for everyone, and changing only with the address metadata: cached like a file."""
    body, etag = _address_layouts_document()
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400"}
    if request.headers.get("If-None-Match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
