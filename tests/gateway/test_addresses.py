"""Addresses per country: the lines an address prints as (contracts/addresses.py), and the address form's layout
for a country (gateway/web/addresses.py), from Google's address metadata, and the layouts' document the browser
lays the form out with."""

from typing import Any

from contracts.addresses import address_lines
from gateway.web.addresses import ADDRESS_LAYOUTS_PATH, AddressFormField, address_form_layout
from tests.gateway.conftest import GatewayHarness


def _fields(country: str | None) -> dict[str, AddressFormField]:
    return {field.name: field for field in address_form_layout(country)}


def _order(country: str | None) -> list[str]:
    """The fields a person sees, in order (a part the country does not use is hidden while blank)."""
    return [field.name for field in address_form_layout(country) if field.used]


def test_a_us_form_asks_street_city_state_and_zip_code_in_that_order() -> None:
    assert _order("US") == ["recipient", "line1", "line2", "city", "region", "postal_code", "phone", "label"]
    fields = _fields("US")
    assert fields["region"].label == "State"
    assert fields["region"].required
    assert fields["postal_code"].label == "ZIP code"
    assert fields["city"].label == "City"
    assert fields["recipient"].label == "Recipient (optional)"
    assert fields["line2"].label == "Address line 2 (optional)"


def test_a_german_form_asks_the_postal_code_before_the_city_and_no_region() -> None:
    assert _order("DE") == ["recipient", "line1", "line2", "postal_code", "city", "phone", "label"]
    fields = _fields("DE")
    assert fields["postal_code"].label == "Postal code"
    # Germany's addresses have no region: the field is there (an old value is not lost) but unused.
    assert not fields["region"].used
    assert not fields["region"].required


def test_a_japanese_form_starts_with_the_postal_code_then_the_prefecture() -> None:
    assert _order("JP") == ["postal_code", "region", "city", "line1", "line2", "recipient", "phone", "label"]
    fields = _fields("JP")
    assert fields["region"].label == "Prefecture"
    assert fields["region"].required
    assert fields["postal_code"].label == "Postal code"
    # Japan's format has no city line, but the API needs one: it stays, required, next to the street.
    assert fields["city"].required


def test_a_british_form_asks_the_post_town_then_the_postcode() -> None:
    assert _order("GB") == ["recipient", "line1", "line2", "city", "postal_code", "phone", "label"]
    fields = _fields("GB")
    assert fields["city"].label == "Post town"
    assert not fields["region"].used


def test_the_labels_say_optional_where_neither_the_country_nor_the_api_requires_the_field() -> None:
    ireland = _fields("IE")
    # The county is optional in Ireland; the Eircode is optional there too, but the API requires a postal code.
    assert ireland["region"].label == "County (optional)"
    assert ireland["postal_code"].label == "Eircode"
    assert ireland["postal_code"].required
    assert _fields("IN")["postal_code"].label == "PIN code"


def test_without_a_country_the_form_has_the_generic_order_and_labels() -> None:
    for country in (None, "", "ZZ"):
        assert _order(country) == ["recipient", "line1", "line2", "city", "region", "postal_code", "phone", "label"]
        fields = _fields(country)
        assert (fields["city"].label, fields["region"].label, fields["postal_code"].label) == (
            "City",
            "Region (optional)",
            "Postal code",
        )
    assert _order("de") == _order("DE")


def test_every_country_lays_out_every_field_of_the_form_once() -> None:
    expected = {"recipient", "line1", "line2", "city", "region", "postal_code", "phone", "label"}
    for country in ("US", "DE", "JP", "GB", "HK", "SG", "AE", "MO", "AQ"):
        names = [field.name for field in address_form_layout(country)]
        assert sorted(names) == sorted(expected), country
        # What the API requires is never hidden nor marked optional.
        for name in ("line1", "city", "postal_code"):
            field = _fields(country)[name]
            assert field.used, (country, name)
            assert field.required, (country, name)


def test_addresses_print_in_their_country_order() -> None:
    berlin = {"line1": "Invalidenstraße 116", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    assert address_lines(berlin) == ["Invalidenstraße 116", "10115 Berlin", "Germany"]
    springfield = {
        "recipient": "Homer",
        "line1": "742 Evergreen Terrace",
        "city": "Springfield",
        "region": "IL",
        "postalCode": "62704",
        "country": "US",
    }
    assert address_lines(springfield) == ["Homer", "742 Evergreen Terrace", "Springfield, IL 62704", "United States"]
    london = {"line1": "10 Downing Street", "city": "London", "postalCode": "sw1a 2aa", "country": "GB"}
    assert address_lines(london) == ["10 Downing Street", "London", "SW1A 2AA", "United Kingdom"]


def test_a_blank_optional_field_takes_its_separator_along() -> None:
    no_state = {"line1": "742 Evergreen Terrace", "city": "Springfield", "postalCode": "62704", "country": "US"}
    assert address_lines(no_state) == ["742 Evergreen Terrace", "Springfield 62704", "United States"]
    no_prefecture = {"line1": "1-2-3 Jingumae", "city": "Shibuya-ku", "postalCode": "150-0001", "country": "JP"}
    assert address_lines(no_prefecture) == ["〒150-0001", "Shibuya-ku", "1-2-3 Jingumae", "Japan"]


def test_a_japanese_address_keeps_its_city_next_to_the_street() -> None:
    tokyo = {
        "line1": "1-2-3 Jingumae",
        "city": "Shibuya-ku",
        "region": "Tokyo",
        "postalCode": "150-0001",
        "country": "JP",
    }
    assert address_lines(tokyo) == ["〒150-0001", "Tokyo", "Shibuya-ku", "1-2-3 Jingumae", "Japan"]


async def test_the_layouts_document_has_every_country_and_is_cached_like_a_file(gateway: GatewayHarness) -> None:
    answer = await gateway.client.get(ADDRESS_LAYOUTS_PATH)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert "no-store" not in answer.headers["cache-control"]
    document: dict[str, Any] = answer.json()
    germany = document["layouts"][document["countries"]["DE"]]
    assert [field["name"] for field in germany if field["used"]][3:5] == ["postal_code", "city"]
    japan = {field["name"]: field for field in document["layouts"][document["countries"]["JP"]]}
    assert japan["region"]["label"] == "Prefecture"
    assert [field["name"] for field in document["layouts"][document["countries"][""]]] == [
        field.name for field in address_form_layout(None)
    ]
    assert len(document["countries"]) > 240

    again = await gateway.client.get(ADDRESS_LAYOUTS_PATH, headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304
