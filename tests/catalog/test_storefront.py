"""The storefront catalog: ACTIVE products by name, each signed-in customer's own prices, and list
prices for guests only when the company shows them."""

import uuid
from typing import Any

from services.catalog.storefront.schemas import StorefrontProductPage
from tests.catalog.support import (
    PRODUCTS,
    STORE_CATEGORIES,
    STORE_PRODUCTS,
    Catalog,
    assert_problem,
    company_updated,
)


async def storefront(catalog: Catalog, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await catalog.client.get(STORE_PRODUCTS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def walk(catalog: Catalog, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every item of the storefront's pages, following nextCursor to the end."""
    items: list[dict[str, Any]] = []
    while True:
        page = await storefront(catalog, headers, **params)
        items.extend(page["items"])
        if page["nextCursor"] is None:
            return items
        params["cursor"] = page["nextCursor"]


def prices(page: dict[str, Any]) -> dict[str, tuple[str | None, str | None, bool]]:
    return {item["sku"]: (item["price"], item["listPrice"], item["hasCustomPrice"]) for item in page["items"]}


async def test_every_contact_of_a_customer_sees_its_prices_and_other_customers_see_list_prices(
    catalog: Catalog,
) -> None:
    company_id = await catalog.new_company(currency="EUR")
    blue, red = await catalog.new_customer(company_id, "Blue"), await catalog.new_customer(company_id, "Red")
    gloves = await catalog.create_product(company_id, sku="GLOVES", name="Gloves", unitPrice="12.00")
    await catalog.create_product(company_id, sku="SOAP", name="Soap", unitPrice="3.00")
    await catalog.set_override(company_id, blue, gloves["id"], "10.50")

    buyer = await storefront(catalog, catalog.contact(company_id, blue, "BUYER"))
    viewer = await storefront(catalog, catalog.contact(company_id, blue, "VIEWER"))
    primary = await storefront(catalog, catalog.customer_account(company_id, blue))
    other = await storefront(catalog, catalog.contact(company_id, red))

    for page in (buyer, viewer, primary):
        assert prices(page) == {"GLOVES": ("10.50", "12.00", True), "SOAP": ("3.00", "3.00", False)}
        assert (page["pricesVisible"], page["currency"]) == (True, "EUR")
    assert prices(other) == {"GLOVES": ("12.00", "12.00", False), "SOAP": ("3.00", "3.00", False)}
    single = await catalog.client.get(f"{STORE_PRODUCTS}/{gloves['id']}", headers=catalog.contact(company_id, blue))
    assert single.json() == {
        "id": gloves["id"],
        "sku": "GLOVES",
        "name": "Gloves",
        "description": None,
        "unitOfSale": "each",
        "category": None,
        "imageUrl": None,
        "currency": "EUR",
        "listPrice": "12.00",
        "price": "10.50",
        "hasCustomPrice": True,
    }


async def test_guests_see_products_without_prices_unless_the_company_shows_them(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    product = await catalog.create_product(company_id, sku="GLOVES", unitPrice="12.00")

    hidden = await storefront(catalog, catalog.guest(company_id))
    hidden_one = await catalog.client.get(f"{STORE_PRODUCTS}/{product['id']}", headers=catalog.guest(company_id))
    await catalog.deliver(company_updated(company_id, currency="USD", show_prices_to_guests=True))
    shown = await storefront(catalog, catalog.guest(company_id))

    assert (hidden["pricesVisible"], hidden["currency"], prices(hidden)) == (
        False,
        "USD",
        {"GLOVES": (None, None, False)},
    )
    assert (hidden_one.json()["price"], hidden_one.json()["listPrice"]) == (None, None)
    assert (shown["pricesVisible"], prices(shown)) == (True, {"GLOVES": ("12.00", "12.00", False)})


async def test_a_company_created_with_guest_prices_shows_them_from_the_start(catalog: Catalog) -> None:
    company_id = await catalog.new_company(show_prices_to_guests=True)
    await catalog.create_product(company_id, sku="A", unitPrice="1.00")

    page = await storefront(catalog, catalog.guest(company_id))

    assert prices(page) == {"A": ("1.00", "1.00", False)}


async def test_archived_products_are_never_on_the_storefront(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    shown = await catalog.create_product(company_id, sku="SHOWN")
    archived = await catalog.create_product(company_id, sku="GONE", category="Old")
    await catalog.create_product(company_id, sku="NEVER", status="ARCHIVED", category="Old")
    await catalog.client.post(f"{PRODUCTS}/{archived['id']}/archive", headers=catalog.staff(company_id))
    headers = catalog.contact(company_id, customer_id)

    page = await storefront(catalog, headers)
    searched = await storefront(catalog, headers, q="gone")
    one = await catalog.client.get(f"{STORE_PRODUCTS}/{archived['id']}", headers=headers)
    categories = await catalog.client.get(STORE_CATEGORIES, headers=headers)

    assert [item["sku"] for item in page["items"]] == ["SHOWN"]
    assert searched["items"] == []
    assert_problem(one, 404)
    assert categories.json() == {"items": []}
    assert (await catalog.client.get(f"{STORE_PRODUCTS}/{shown['id']}", headers=headers)).status_code == 200


async def test_another_company_s_product_is_not_on_this_storefront(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    other = await catalog.new_company()
    foreign = await catalog.create_product(other)

    response = await catalog.client.get(f"{STORE_PRODUCTS}/{foreign['id']}", headers=catalog.guest(company_id))

    assert_problem(response, 404)
    assert (await storefront(catalog, catalog.guest(company_id)))["items"] == []


async def test_products_are_sorted_by_name_then_id_and_paged_with_a_cursor(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    # Capitalized alike: how letter case sorts depends on the database's collation.
    names = ["Soap", "Apron", "Gloves", "Brush", "Gloves", "Cleaner"]
    made = [await catalog.create_product(company_id, name=name) for name in names]
    expected = [p["id"] for p in sorted(made, key=lambda p: (p["name"], p["id"]))]

    seen = [item["id"] for item in await walk(catalog, catalog.guest(company_id), limit=4)]

    assert seen == expected
    default = await storefront(catalog, catalog.guest(company_id))
    assert len(default["items"]) == 6


async def test_the_default_page_holds_fifty_products(catalog: Catalog) -> None:
    company_id = await catalog.new_company(max_products=None)
    lines = ["sku,name,unitPrice", *(f"S-{index:03},Product {index:03},1.00" for index in range(51))]
    response = await catalog.client.post(
        f"{PRODUCTS}/import",
        content="\n".join(lines).encode(),
        headers={**catalog.staff(company_id), "content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text

    first = await storefront(catalog, catalog.guest(company_id))
    rest = await storefront(catalog, catalog.guest(company_id), cursor=first["nextCursor"])

    assert len(first["items"]) == 50
    assert [item["sku"] for item in rest["items"]] == ["S-050"]
    assert rest["nextCursor"] is None


async def test_search_and_category_filter_the_storefront(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    await catalog.create_product(company_id, sku="GLV-1", name="Nitrile gloves", category="Gloves")
    await catalog.create_product(company_id, sku="GLV-2", name="Latex gloves", category="Gloves")
    await catalog.create_product(company_id, sku="SOAP-1", name="Hand soap", category="Hygiene")
    await catalog.create_product(company_id, sku="MISC", name="Mystery box")
    guest = catalog.guest(company_id)

    by_name = await storefront(catalog, guest, q="GLOVES")
    by_sku = await storefront(catalog, guest, q="soap-")
    in_category = await storefront(catalog, guest, category="Gloves")
    both = await storefront(catalog, guest, q="latex", category="Gloves")
    categories = await catalog.client.get(STORE_CATEGORIES, headers=guest)

    assert [item["sku"] for item in by_name["items"]] == ["GLV-2", "GLV-1"]
    assert [item["sku"] for item in by_sku["items"]] == ["SOAP-1"]
    assert [item["sku"] for item in in_category["items"]] == ["GLV-2", "GLV-1"]
    assert [item["sku"] for item in both["items"]] == ["GLV-2"]
    assert categories.json() == {"items": ["Gloves", "Hygiene"]}


async def test_a_removed_override_gives_the_customer_the_list_price_again(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id, sku="A", unitPrice="4.00")
    override = await catalog.set_override(company_id, customer_id, product["id"], "3.00")

    await catalog.client.delete(f"/api/v1/price-overrides/{override['id']}", headers=catalog.staff(company_id))

    page = await storefront(catalog, catalog.contact(company_id, customer_id))
    assert prices(page) == {"A": ("4.00", "4.00", False)}


async def test_the_storefront_needs_a_company(catalog: Catalog) -> None:
    assert_problem(await catalog.client.get(STORE_PRODUCTS, headers=catalog.staff(None)), 401)
    assert_problem(await catalog.client.get(STORE_CATEGORIES), 401)
    # A company catalog has not heard of yet (a moment after signup): retry shortly.
    assert_problem(await catalog.client.get(STORE_PRODUCTS, headers=catalog.guest(uuid.uuid4())), 503)


async def test_search_and_category_pages_walk_with_a_cursor(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    for sku, name, category in [
        ("GLV-1", "Nitrile gloves", "Gloves"),
        ("GLV-2", "Latex gloves", "Gloves"),
        ("GLV-3", "Cotton gloves", "Gloves"),
        ("GLV-4", "Gloves rack", "Storage"),
        ("MISC", "Mystery box", "Gloves"),
    ]:
        await catalog.create_product(company_id, sku=sku, name=name, category=category)

    seen = await walk(catalog, catalog.guest(company_id), q="glove", category="Gloves", limit=1)

    assert [item["sku"] for item in seen] == ["GLV-3", "GLV-2", "GLV-1"]


async def test_an_empty_page_still_tells_the_currency_and_whether_prices_show(catalog: Catalog) -> None:
    company_id = await catalog.new_company(currency="GBP", show_prices_to_guests=True)

    page = await storefront(catalog, catalog.guest(company_id), q="nothing like this")

    assert page == {"items": [], "nextCursor": None, "pricesVisible": True, "currency": "GBP"}


async def test_the_page_is_exactly_what_its_documented_model_writes(catalog: Catalog) -> None:
    """The page's JSON is written without building models (the storefront's hottest path): it must be
    byte for byte what StorefrontProductPage writes for the same page, for shoppers and guests."""
    company_id = await catalog.new_company(currency="EUR")
    customer_id = await catalog.new_customer(company_id)
    await catalog.create_product(
        company_id,
        sku="CAFE-1",
        name="Café crème «fin» 日本",
        description='Beans, "roasted" \\ ground',
        category="Kaffee & Tee",
        imageUrl="https://img.example.com/cafe.png",
        unitPrice="1234567.50",
        unitOfSale="1 kg",
    )
    plain = await catalog.create_product(company_id, sku="PLAIN", name="Plain", unitPrice="0.00")
    await catalog.set_override(company_id, customer_id, plain["id"], "0.10")

    for headers in (catalog.contact(company_id, customer_id), catalog.guest(company_id)):
        for params in ({}, {"limit": 1}):
            response = await catalog.client.get(STORE_PRODUCTS, params=params, headers=headers)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            page = StorefrontProductPage.model_validate_json(response.content)
            assert page.model_dump_json(by_alias=True).encode() == response.content
