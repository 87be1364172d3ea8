"""Products through the staff and integrator API: fields and money, unique SKUs, maxProducts, archive,
delete, lists, who may do what, and the events every change raises."""

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from kit.events import Actor
from tests.catalog.support import LIMITS, OVERRIDES, PRODUCTS, Catalog, assert_problem, product_body


async def test_staff_member_creates_a_product_that_reads_back_with_the_company_currency(catalog: Catalog) -> None:
    company_id = await catalog.new_company(currency="EUR")
    user_id = uuid.uuid4()
    body = product_body(
        sku="  GLV-100 ",
        description="Powder-free, size M",
        unitPrice="12.5",
        unitOfSale="box",
        category="Gloves",
        imageUrl="https://cdn.example.com/glv-100.png",
    )

    response = await catalog.client.post(PRODUCTS, json=body, headers=catalog.staff(company_id, "MEMBER", user_id))

    assert response.status_code == 201, response.text
    product = response.json()
    assert {key: product[key] for key in product if key not in ("id", "createdAt", "updatedAt")} == {
        "sku": "GLV-100",
        "name": "Nitrile gloves, box of 100",
        "description": "Powder-free, size M",
        "unitPrice": "12.50",
        "currency": "EUR",
        "unitOfSale": "box",
        "status": "ACTIVE",
        "category": "Gloves",
        "imageUrl": "https://cdn.example.com/glv-100.png",
    }
    fetched = await catalog.client.get(f"{PRODUCTS}/{product['id']}", headers=catalog.staff(company_id))
    assert fetched.json() == product
    [event] = await catalog.events(company_id)
    assert event.type == "ProductCreated"
    assert event.actor == Actor(type="USER", id=user_id)
    assert (event.entity.type, event.entity.id, event.entity.version) == ("Product", product["id"], 1)
    assert event.data == {
        "id": product["id"],
        "sku": "GLV-100",
        "name": "Nitrile gloves, box of 100",
        "description": "Powder-free, size M",
        "unitPrice": "12.50",
        "currency": "EUR",
        "unitOfSale": "box",
        "status": "ACTIVE",
        "category": "Gloves",
        "imageUrl": "https://cdn.example.com/glv-100.png",
        "activeProducts": 1,
        "activeProductsVersion": 1,
    }


async def test_optional_fields_default_and_blank_ones_read_as_null(catalog: Catalog) -> None:
    company_id = await catalog.new_company()

    product = await catalog.create_product(company_id, description="  ", category="", imageUrl=" ")

    assert (product["unitOfSale"], product["description"], product["category"], product["imageUrl"]) == (
        "each",
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("7", "7.00"), ("0", "0.00"), ("9999999999.99", "9999999999.99"), ("3.10", "3.10")],
)
async def test_prices_are_exact_decimals_answered_as_strings(catalog: Catalog, sent: Any, stored: str) -> None:
    company_id = await catalog.new_company()

    product = await catalog.create_product(company_id, unitPrice=sent)

    assert product["unitPrice"] == stored


@pytest.mark.parametrize(
    "raw_price",
    ['"-0.01"', '"abc"', '"1.234"', "0.30000000000000004", '"10000000000"', "true", "null", '"NaN"', '"12,50"', '""'],
)
async def test_a_bad_price_is_refused_naming_the_field_and_nothing_is_created(catalog: Catalog, raw_price: str) -> None:
    company_id = await catalog.new_company()
    content = '{"sku": "P-1", "name": "Paper towels", "unitPrice": ' + raw_price + "}"

    response = await catalog.client.post(
        PRODUCTS, content=content, headers={**catalog.staff(company_id), "content-type": "application/json"}
    )

    assert_problem(response, 422, "unitPrice")
    assert await catalog.row_count("products", company_id) == 0
    assert await catalog.events(company_id) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sku", "S" * 65),
        ("sku", "   "),
        ("sku", "AB C"),
        ("sku", "AB#1"),
        ("sku", "ÄB-1"),
        ("name", ""),
        ("name", "n" * 201),
        ("description", "d" * 5001),
        ("unitOfSale", ""),
        ("unitOfSale", "u" * 31),
        ("category", "c" * 101),
        ("imageUrl", "ftp://cdn.example.com/a.png"),
        ("imageUrl", "not a url"),
        ("imageUrl", "https://cdn.example.com/" + "a" * 1980),
        ("status", "DELETED"),
    ],
)
async def test_a_field_breaking_its_rule_is_refused_and_nothing_is_created(
    catalog: Catalog, field: str, value: str
) -> None:
    company_id = await catalog.new_company()

    response = await catalog.client.post(
        PRODUCTS, json=product_body(**{field: value}), headers=catalog.staff(company_id)
    )

    assert_problem(response, 422, field)
    assert await catalog.row_count("products", company_id) == 0


async def test_longest_allowed_values_are_accepted(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    image_url = "https://cdn.example.com/" + "a" * (2000 - len("https://cdn.example.com/"))

    product = await catalog.create_product(
        company_id,
        sku="A-b_c.d/" + "9" * 56,
        name="n" * 200,
        description="d" * 5000,
        unitOfSale="u" * 30,
        category="c" * 100,
        imageUrl=image_url,
    )

    assert (len(product["sku"]), product["imageUrl"]) == (64, image_url)


async def test_duplicate_sku_in_any_letter_case_is_a_conflict_and_nothing_changes(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    first = await catalog.create_product(company_id, sku="ABC-1")
    second = await catalog.create_product(company_id, sku="XYZ-9")

    created = await catalog.client.post(PRODUCTS, json=product_body(sku="abc-1"), headers=catalog.staff(company_id))
    renamed = await catalog.client.patch(
        f"{PRODUCTS}/{second['id']}", json={"sku": "Abc-1"}, headers=catalog.staff(company_id)
    )

    assert_problem(created, 409, "sku")
    assert_problem(renamed, 409, "sku")
    assert {product["sku"] for product in await catalog.all_products(company_id)} == {"ABC-1", "XYZ-9"}
    assert len(await catalog.events(company_id)) == 2
    # Another company may use the same SKU.
    other = await catalog.new_company()
    assert (await catalog.create_product(other, sku="abc-1"))["sku"] == "abc-1"
    # A product may change the letter case of its own SKU.
    recased = await catalog.client.patch(
        f"{PRODUCTS}/{first['id']}", json={"sku": "abc-1"}, headers=catalog.staff(company_id)
    )
    assert recased.json()["sku"] == "abc-1"


async def test_a_currency_other_than_the_company_s_is_refused(catalog: Catalog) -> None:
    company_id = await catalog.new_company(currency="GBP")

    refused = await catalog.client.post(PRODUCTS, json=product_body(currency="USD"), headers=catalog.staff(company_id))
    accepted = await catalog.client.post(PRODUCTS, json=product_body(currency="gbp"), headers=catalog.staff(company_id))

    body = assert_problem(refused, 400, "currency")
    assert "GBP" in body["detail"]
    assert accepted.status_code == 201
    assert await catalog.row_count("products", company_id) == 1


async def test_editing_changes_only_the_fields_sent_and_raises_product_updated(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    product = await catalog.create_product(company_id, category="Gloves", description="Blue")
    user_id = uuid.uuid4()

    response = await catalog.client.patch(
        f"{PRODUCTS}/{product['id']}",
        json={"name": "Vinyl gloves", "unitPrice": "11.00", "sku": None, "category": None, "unitOfSale": None},
        headers=catalog.staff(company_id, "ADMIN", user_id),
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["sku"], updated["name"], updated["unitPrice"], updated["category"]) == (
        product["sku"],
        "Vinyl gloves",
        "11.00",
        None,
    )
    assert (updated["description"], updated["unitOfSale"]) == ("Blue", "each")
    event = (await catalog.events(company_id))[-1]
    assert event.type == "ProductUpdated"
    assert event.actor == Actor(type="USER", id=user_id)
    assert event.data["changes"] == ["name", "unitPrice", "category"]
    assert (event.data["name"], event.data["unitPrice"], event.data["category"]) == ("Vinyl gloves", "11.00", None)


async def test_an_edit_that_changes_nothing_raises_no_event(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    product = await catalog.create_product(company_id, unitPrice="5.00")

    response = await catalog.client.patch(
        f"{PRODUCTS}/{product['id']}",
        json={"name": product["name"], "unitPrice": "5", "status": "ACTIVE"},
        headers=catalog.staff(company_id),
    )

    assert response.status_code == 200
    assert [event.type for event in await catalog.events(company_id)] == ["ProductCreated"]


async def test_a_bad_edit_is_refused_and_changes_nothing(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    product = await catalog.create_product(company_id, unitPrice="5.00")

    for body, field in (({"unitPrice": "-5"}, "unitPrice"), ({"name": "x" * 201}, "name"), ({"sku": "a b"}, "sku")):
        response = await catalog.client.patch(
            f"{PRODUCTS}/{product['id']}", json={"name": "Changed", **body}, headers=catalog.staff(company_id)
        )
        assert_problem(response, 422, field)

    fetched = await catalog.client.get(f"{PRODUCTS}/{product['id']}", headers=catalog.staff(company_id))
    assert fetched.json() == product
    assert len(await catalog.events(company_id)) == 1


async def test_list_searches_filters_and_pages_newest_first(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    names = ["Blue gloves", "Red gloves", "Paper towels", "Glove liners", "Soap 100%"]
    products = [
        await catalog.create_product(company_id, sku=f"P-{index}", name=name, category="Hygiene" if index % 2 else None)
        for index, name in enumerate(names)
    ]
    await catalog.client.post(f"{PRODUCTS}/{products[1]['id']}/archive", headers=catalog.staff(company_id))

    newest_first = await catalog.all_products(company_id)
    searched = await catalog.all_products(company_id, q="GLOVE")
    by_sku = await catalog.all_products(company_id, q="p-2")
    literal_percent = await catalog.all_products(company_id, q="0%")
    archived = await catalog.all_products(company_id, status="ARCHIVED")
    active_hygiene = await catalog.all_products(company_id, status="ACTIVE", category="Hygiene")

    assert [p["name"] for p in newest_first] == list(reversed(names))
    assert [p["name"] for p in searched] == ["Glove liners", "Red gloves", "Blue gloves"]
    assert [p["name"] for p in by_sku] == ["Paper towels"]
    assert [p["name"] for p in literal_percent] == ["Soap 100%"]
    assert [p["name"] for p in archived] == ["Red gloves"]
    assert [p["name"] for p in active_hygiene] == ["Glove liners"]

    first = await catalog.client.get(PRODUCTS, params={"limit": 2}, headers=catalog.staff(company_id))
    second = await catalog.client.get(
        PRODUCTS, params={"limit": 2, "cursor": first.json()["nextCursor"]}, headers=catalog.staff(company_id)
    )
    assert [p["name"] for p in first.json()["items"] + second.json()["items"]] == list(reversed(names))[:4]


async def test_list_refuses_a_cursor_it_did_not_issue_and_a_bad_status(catalog: Catalog) -> None:
    company_id = await catalog.new_company()

    bad_cursor = await catalog.client.get(PRODUCTS, params={"cursor": "nonsense"}, headers=catalog.staff(company_id))
    bad_status = await catalog.client.get(PRODUCTS, params={"status": "GONE"}, headers=catalog.staff(company_id))

    assert_problem(bad_cursor, 400, "cursor")
    assert_problem(bad_status, 422, "status")


async def test_creating_or_restoring_past_max_products_is_refused_and_archiving_frees_a_slot(
    catalog: Catalog,
) -> None:
    company_id = await catalog.new_company(max_products=2)
    first = await catalog.create_product(company_id)
    await catalog.create_product(company_id)

    refused = await catalog.client.post(PRODUCTS, json=product_body(), headers=catalog.staff(company_id))
    archived_one = await catalog.client.post(
        PRODUCTS, json=product_body(status="ARCHIVED"), headers=catalog.staff(company_id)
    )

    body = assert_problem(refused, 402)
    assert "2 active products (maxProducts)" in body["detail"]
    assert "Starter" in body["detail"]
    assert archived_one.status_code == 201
    assert await catalog.active_products(company_id) == 2

    restore_refused = await catalog.client.post(
        f"{PRODUCTS}/{archived_one.json()['id']}/restore", headers=catalog.staff(company_id)
    )
    patch_refused = await catalog.client.patch(
        f"{PRODUCTS}/{archived_one.json()['id']}", json={"status": "ACTIVE"}, headers=catalog.staff(company_id)
    )
    assert_problem(restore_refused, 402)
    assert_problem(patch_refused, 402)

    archive = await catalog.client.post(f"{PRODUCTS}/{first['id']}/archive", headers=catalog.staff(company_id))
    assert archive.json()["status"] == "ARCHIVED"
    again = await catalog.client.post(PRODUCTS, json=product_body(), headers=catalog.staff(company_id))
    assert again.status_code == 201
    limits = await catalog.client.get(LIMITS, headers=catalog.staff(company_id))
    assert limits.json() == {"maxProducts": 2, "activeProducts": 2}


async def test_archive_and_restore_raise_events_with_the_active_count(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    product = await catalog.create_product(company_id)
    await catalog.create_product(company_id)
    path = f"{PRODUCTS}/{product['id']}"

    archived = await catalog.client.post(f"{path}/archive", headers=catalog.staff(company_id))
    again = await catalog.client.post(f"{path}/archive", headers=catalog.staff(company_id))
    restored = await catalog.client.post(f"{path}/restore", headers=catalog.staff(company_id))
    patched = await catalog.client.patch(
        path, json={"status": "ARCHIVED", "unitPrice": "1.00"}, headers=catalog.staff(company_id)
    )

    assert (archived.json()["status"], again.json()["status"], restored.json()["status"]) == (
        "ARCHIVED",
        "ARCHIVED",
        "ACTIVE",
    )
    assert patched.json()["status"] == "ARCHIVED"
    events = (await catalog.events(company_id))[2:]
    assert [(e.type, e.data.get("activeProducts"), e.data["status"]) for e in events] == [
        ("ProductArchived", 1, "ARCHIVED"),
        ("ProductRestored", 2, "ACTIVE"),
        ("ProductUpdated", None, "ARCHIVED"),
        ("ProductArchived", 1, "ARCHIVED"),
    ]
    # One product version per event; one count version per event carrying the count (after two creates).
    assert [e.entity.version for e in events] == [2, 3, 4, 5]
    assert [e.data.get("activeProductsVersion") for e in events] == [3, 4, None, 5]
    assert events[2].data["changes"] == ["unitPrice"]


async def test_delete_removes_the_product_with_its_price_overrides(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id, sku="DEL-1")
    kept = await catalog.create_product(company_id)
    override = await catalog.set_override(company_id, customer_id, product["id"], "9.00")
    await catalog.set_override(company_id, customer_id, kept["id"], "8.00")

    response = await catalog.client.delete(f"{PRODUCTS}/{product['id']}", headers=catalog.staff(company_id))

    assert response.status_code == 204
    gone = await catalog.client.get(f"{PRODUCTS}/{product['id']}", headers=catalog.staff(company_id))
    assert_problem(gone, 404)
    assert [o["productId"] for o in await catalog.overrides(company_id)] == [kept["id"]]
    removed, deleted = await catalog.events(company_id, "PriceOverrideRemoved", "ProductDeleted")
    assert (removed.type, removed.data) == (
        "PriceOverrideRemoved",
        {"id": override["id"], "customerId": str(customer_id), "productId": product["id"]},
    )
    assert removed.entity.version == 2
    # The product's version after its last event; the count's after two creates and this delete.
    assert (deleted.type, deleted.entity.id, deleted.entity.version) == ("ProductDeleted", product["id"], 2)
    assert deleted.data == {"id": product["id"], "sku": "DEL-1", "activeProducts": 1, "activeProductsVersion": 3}
    assert await catalog.active_products(company_id) == 1


async def test_another_company_s_product_is_not_found_on_every_endpoint(catalog: Catalog) -> None:
    owner = await catalog.new_company()
    product = await catalog.create_product(owner)
    other = await catalog.new_company()
    path = f"{PRODUCTS}/{product['id']}"
    staff = catalog.staff(other, "OWNER")

    responses = [
        await catalog.client.get(path, headers=staff),
        await catalog.client.patch(path, json={"name": "Stolen"}, headers=staff),
        await catalog.client.post(f"{path}/archive", headers=staff),
        await catalog.client.post(f"{path}/restore", headers=staff),
        await catalog.client.delete(path, headers=staff),
        await catalog.client.get(f"{PRODUCTS}/{uuid.uuid4()}", headers=staff),
    ]

    for response in responses:
        assert_problem(response, 404)
    assert (await catalog.client.get(path, headers=catalog.staff(owner))).json() == product
    assert await catalog.all_products(other) == []
    assert await catalog.events(other) == []


async def test_api_keys_need_catalog_read_to_read_and_catalog_write_to_change(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    product = await catalog.create_product(company_id)
    reader = catalog.api_key(company_id, "catalog:read")
    writer_id = uuid.uuid4()
    writer = catalog.api_key(company_id, "catalog:write", key_id=writer_id)
    unrelated = catalog.api_key(company_id, "customers:write", "orders:read")

    assert (await catalog.client.get(PRODUCTS, headers=reader)).status_code == 200
    assert (await catalog.client.get(f"{PRODUCTS}/{product['id']}", headers=writer)).status_code == 200
    assert (await catalog.client.get(LIMITS, headers=reader)).status_code == 200
    assert_problem(await catalog.client.post(PRODUCTS, json=product_body(), headers=reader), 403)
    assert_problem(await catalog.client.post(f"{PRODUCTS}/{product['id']}/archive", headers=reader), 403)
    assert_problem(await catalog.client.delete(f"{PRODUCTS}/{product['id']}", headers=reader), 403)
    assert_problem(await catalog.client.get(PRODUCTS, headers=unrelated), 403)
    assert_problem(await catalog.client.get(LIMITS, headers=unrelated), 403)

    created = await catalog.client.post(PRODUCTS, json=product_body(), headers=writer)

    assert created.status_code == 201
    event = (await catalog.events(company_id))[-1]
    assert event.actor == Actor(type="SYSTEM", api_key_id=writer_id)
    assert await catalog.row_count("products", company_id) == 2


async def test_storefront_callers_and_anonymous_cannot_use_the_staff_api(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)

    # Storefront accounts are the wrong kind of caller (403); a guest is not signed in (401).
    for headers, status in (
        (catalog.contact(company_id, customer_id, "ADMIN"), 403),
        (catalog.customer_account(company_id, customer_id), 403),
        (catalog.guest(company_id), 401),
    ):
        assert_problem(await catalog.client.get(PRODUCTS, headers=headers), status)
        assert_problem(await catalog.client.post(PRODUCTS, json=product_body(), headers=headers), status)
        assert_problem(await catalog.client.get(OVERRIDES, headers=headers), status)
    assert await catalog.row_count("products", company_id) == 0


async def test_calls_without_a_company_or_context_are_refused(catalog: Catalog) -> None:
    assert_problem(await catalog.client.get(PRODUCTS, headers=catalog.staff(None)), 401)
    assert_problem(await catalog.client.post(PRODUCTS, json=product_body()), 401)
    assert_problem(await catalog.client.get(OVERRIDES), 401)


async def test_a_company_catalog_has_not_heard_of_yet_is_told_to_retry(catalog: Catalog) -> None:
    unknown = uuid.uuid4()

    response = await catalog.client.post(PRODUCTS, json=product_body(), headers=catalog.staff(unknown))

    assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"
    assert await catalog.row_count("products", unknown) == 0


async def test_prices_are_stored_exactly(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    product = await catalog.create_product(company_id, unitPrice="0.10")

    fetched = await catalog.client.get(f"{PRODUCTS}/{product['id']}", headers=catalog.staff(company_id))

    assert Decimal(fetched.json()["unitPrice"]) * 3 == Decimal("0.30")
    assert json.loads(fetched.text)["unitPrice"] == "0.10"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        # A literal path beside `/{product_id}`: its other methods are not a product id's.
        ("PATCH", "/api/v1/products/export", "GET"),
        ("DELETE", "/api/v1/products/import", "POST"),
        # Every method the path takes, not only the first route's.
        ("PUT", "/api/v1/products", "GET, POST"),
        ("PUT", f"/api/v1/products/{uuid.uuid4()}", "DELETE, GET, PATCH"),
    ],
)
async def test_a_method_a_path_does_not_take_is_405_naming_every_method_it_does(
    catalog: Catalog, method: str, path: str, allow: str
) -> None:
    company_id = await catalog.new_company()

    response = await catalog.client.request(method, path, headers=catalog.staff(company_id))

    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == allow


async def test_a_product_id_that_is_not_a_uuid_is_no_such_product(catalog: Catalog) -> None:
    company_id = await catalog.new_company()

    response = await catalog.client.get("/api/v1/products/not-an-id", headers=catalog.staff(company_id))

    assert response.status_code == 404, response.text
