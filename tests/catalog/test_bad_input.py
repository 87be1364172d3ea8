"""Catalog on PostgreSQL refuses unsafe text in bodies, searches and CSV cells, and prices not written as decimals."""

import json
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError

from services.catalog.money import Money
from services.catalog.price_overrides.schemas import PriceOverrideCreate, PriceOverrideUpdate
from services.catalog.products.schemas import ProductCreate
from tests.catalog.support import OVERRIDES, PRODUCTS, STORE_PRODUCTS, Catalog, assert_problem, product_body

IMPORT = "/api/v1/products/import"
JSON = {"content-type": "application/json"}

UNSAFE_NAMES = {
    "nul": "Glo\x00ves",
    "escape": "Glo\x1bves",
    "tab": "Glo\tves",
    "line break": "Glo\nves",
    "del": "Glo\x7fves",
    "c1": "Glo\x9bves",
    "right-to-left override": "Glo\u202eves",
    "isolate": "\u2066Gloves\u2069",
    "zero-width space": "Glo\u200bves",
    "word joiner": "Glo\u2060ves",
    "left-to-right mark": "Glo\u200eves",
    "byte order mark": "\ufeffGloves",
}
BAD_PRICES = {
    "number": 12.5,
    "integer": 12,
    "arabic-indic digits": "١٢",
    "fullwidth digits": "\uff11\uff12.\uff15\uff10",
    "exponent": "1e3",
    "leading space": " 12",
    "trailing space": "12 ",
    "space inside": "1 2.50",
    "plus sign": "+12",
    "three places": "12.505",
    "no digits after the point": "12.",
    "eleven digits": "12345678901",
}


async def post_json(catalog: Catalog, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    # ASCII escapes, as a client may send them: a lone surrogate cannot be encoded as UTF-8.
    return await catalog.client.post(path, content=json.dumps(body).encode("ascii"), headers={**headers, **JSON})


@pytest.mark.parametrize("name", UNSAFE_NAMES.values(), ids=UNSAFE_NAMES.keys())
async def test_a_product_name_with_unsafe_characters_is_refused_and_nothing_is_stored(
    catalog: Catalog, name: str
) -> None:
    company_id = await catalog.new_company()

    response = await post_json(catalog, PRODUCTS, product_body(name=name), catalog.staff(company_id))

    assert_problem(response, 422, "name")
    assert await catalog.row_count("products", company_id) == 0
    assert await catalog.events(company_id) == []


async def test_a_description_may_span_lines_but_not_hold_other_controls_or_bidi_overrides(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    headers = catalog.staff(company_id)

    kept = await post_json(catalog, PRODUCTS, product_body(description="Box of 100.\r\n\tNitrile, blue."), headers)
    nul = await post_json(catalog, PRODUCTS, product_body(description="Box\x00of 100"), headers)
    override = await post_json(catalog, PRODUCTS, product_body(description="Box of \u202e001"), headers)

    assert kept.status_code == 201, kept.text
    assert kept.json()["description"] == "Box of 100.\r\n\tNitrile, blue."
    assert_problem(nul, 422, "description")
    assert_problem(override, 422, "description")
    assert await catalog.row_count("products", company_id) == 1


async def test_a_change_with_unsafe_characters_leaves_the_product_as_it_was(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    product = await catalog.create_product(company_id, name="Gloves", category="Safety")

    for field, value in [("name", "Glo\x00ves"), ("category", "Safety\u2067"), ("sku", "A\x00")]:
        response = await catalog.client.patch(
            f"{PRODUCTS}/{product['id']}", json={field: value}, headers=catalog.staff(company_id)
        )
        assert_problem(response, 422, field)

    fetched = await catalog.client.get(f"{PRODUCTS}/{product['id']}", headers=catalog.staff(company_id))
    assert (fetched.json()["name"], fetched.json()["category"]) == ("Gloves", "Safety")


@pytest.mark.parametrize("query", ["q=%00", "q=a%1Bb", "q=%C2%85", "q=%E2%80%AE", "category=%00"])
async def test_a_staff_search_with_unsafe_characters_is_refused(catalog: Catalog, query: str) -> None:
    company_id = await catalog.new_company()

    response = await catalog.client.get(f"{PRODUCTS}?{query}", headers=catalog.staff(company_id))

    assert_problem(response, 422, query.split("=")[0])


@pytest.mark.parametrize("query", ["q=%00", "q=x%7Fy", "category=%E2%81%A6", "q=%EF%BB%BF"])
async def test_an_anonymous_storefront_search_with_unsafe_characters_is_refused(catalog: Catalog, query: str) -> None:
    company_id = await catalog.new_company(show_prices_to_guests=True)
    await catalog.create_product(company_id, name="قفازات نتريل")

    refused = await catalog.client.get(f"{STORE_PRODUCTS}?{query}", headers=catalog.guest(company_id))
    in_another_script = await catalog.client.get(
        STORE_PRODUCTS, params={"q": "قفازات"}, headers=catalog.guest(company_id)
    )

    assert_problem(refused, 422, query.split("=")[0])
    assert in_another_script.status_code == 200, in_another_script.text
    assert [item["name"] for item in in_another_script.json()["items"]] == ["قفازات نتريل"]


@pytest.mark.parametrize("price", BAD_PRICES.values(), ids=BAD_PRICES.keys())
async def test_a_product_price_that_is_not_an_ascii_decimal_string_is_refused(catalog: Catalog, price: Any) -> None:
    company_id = await catalog.new_company()

    response = await post_json(catalog, PRODUCTS, product_body(unitPrice=price), catalog.staff(company_id))

    problem = assert_problem(response, 422, "unitPrice")
    assert "Enter a price like 12.50" in problem["detail"]
    assert await catalog.row_count("products", company_id) == 0


@pytest.mark.parametrize(
    ("sent", "stored", "look_alike"),
    [("12.50", "12.50", 12.5), ("12", "12.00", "١٢"), ("0.5", "0.50", " 0.5"), ("007", "7.00", "7e0")],
)
async def test_a_price_written_as_an_ascii_decimal_string_is_accepted_and_its_look_alike_is_not(
    catalog: Catalog, sent: str, stored: str, look_alike: Any
) -> None:
    company_id = await catalog.new_company()

    product = await catalog.create_product(company_id, unitPrice=sent)
    refused = await post_json(catalog, PRODUCTS, product_body(unitPrice=look_alike), catalog.staff(company_id))

    assert product["unitPrice"] == stored
    assert_problem(refused, 422, "unitPrice")


@pytest.mark.parametrize("price", [12.5, "١٢", "1e3", " 12"])
async def test_a_customer_price_that_is_not_an_ascii_decimal_string_is_refused(catalog: Catalog, price: Any) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    existing = await catalog.set_override(company_id, customer_id, product["id"], "9.00")
    other = await catalog.create_product(company_id)
    headers = catalog.staff(company_id)

    created = await post_json(
        catalog, OVERRIDES, {"customerId": str(customer_id), "productId": other["id"], "unitPrice": price}, headers
    )
    changed = await catalog.client.patch(f"{OVERRIDES}/{existing['id']}", json={"unitPrice": price}, headers=headers)

    assert_problem(created, 422, "unitPrice")
    assert_problem(changed, 422, "unitPrice")
    assert [override["unitPrice"] for override in await catalog.overrides(company_id)] == ["9.00"]


@pytest.mark.parametrize("text", ["12\n", "12.50\n", "\n12"])
def test_a_price_with_a_line_break_is_not_read_as_a_price(text: str) -> None:
    # The API refuses a line break in any single-line text first; the price rule refuses it on its own too.
    with pytest.raises(ValidationError, match=r"Enter a price like 12\.50"):
        TypeAdapter(Money).validate_python(text)


def test_openapi_documents_prices_as_ascii_decimal_strings() -> None:
    for model in (ProductCreate, PriceOverrideCreate, PriceOverrideUpdate):
        price = model.model_json_schema(by_alias=True)["properties"]["unitPrice"]
        assert (price["type"], price["pattern"]) == ("string", r"^[0-9]{1,10}(\.[0-9]{1,2})?$")


async def test_csv_cells_with_unsafe_characters_are_row_errors_naming_line_and_field(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    text = (
        "sku,name,description,unitPrice,category\n"  # line 1
        'OK-1,Gloves,"Two\nlines\tand a tab",1.00,Safety\n'  # 2-3: a multi-line description is fine
        "NUL-1,Glo\x00ves,,1.00,\n"  # 4
        "BIDI-1,Gloves,,1.00,Safety\u202e\n"  # 5
        "ESC-1,Gloves,Box\x1bof 100,1.00,\n"  # 6
        'TAB-1,"Glo\tves",,1.00,\n'  # 7
        "PRICE-1,Gloves,,١٢,\n"  # 8
        "ZWSP\u200b,Gloves,,1.00,\n"  # 9
    )

    response = await catalog.client.post(
        IMPORT, content=text.encode(), headers={**catalog.staff(company_id), "content-type": "text/csv"}
    )

    body = assert_problem(response, 422)
    assert [(error["line"], error["field"]) for error in body["errors"]] == [
        (4, "name"),
        (5, "category"),
        (6, "description"),
        (7, "name"),
        (8, "unitPrice"),
        (9, "sku"),
    ]
    assert "U+0000" in body["errors"][0]["message"]
    assert await catalog.row_count("products", company_id) == 0

    clean = "\n".join(text.split("\n")[:3]) + "\n"
    imported = await catalog.client.post(
        IMPORT, content=clean.encode(), headers={**catalog.staff(company_id), "content-type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    assert [product["description"] for product in await catalog.all_products(company_id)] == ["Two\nlines\tand a tab"]
