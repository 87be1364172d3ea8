"""Bulk CSV: importing creates and updates by SKU, all or nothing with every bad row reported by line
and field; exporting streams the catalog in the same columns, so a re-import changes nothing."""

import csv
import io
import uuid
from typing import Any

from kit.events import Actor
from services.catalog.products.endpoints import MAX_IMPORT_BYTES
from tests.catalog.support import IMPORT, PRODUCTS, Catalog, assert_problem, import_csv

EXPORT = f"{PRODUCTS}/export"


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_ten_thousand_rows_are_imported_with_an_event_for_each_product(catalog: Catalog) -> None:
    company_id = await catalog.new_company(max_products=None)
    user_id = uuid.uuid4()
    lines = ["sku,name,unitPrice,category,unitOfSale"]
    lines += [f"BULK-{i:05},Bulk product {i},{i % 100}.{i % 97:02},Bulk,case" for i in range(10_000)]

    response = await catalog.client.post(
        IMPORT,
        content="\n".join(lines).encode(),
        headers={**catalog.staff(company_id, "MEMBER", user_id), "content-type": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"created": 10_000, "updated": 0, "unchanged": 0}
    assert await catalog.active_products(company_id) == 10_000
    products = {product["sku"]: product for product in await catalog.all_products(company_id)}
    assert len(products) == 10_000
    last = products["BULK-09999"]
    assert (last["unitPrice"], last["category"], last["unitOfSale"]) == ("99.08", "Bulk", "case")
    events = await catalog.events(company_id)
    assert [event.type for event in events] == ["ProductCreated"] * 10_000 + ["ProductsImported"]
    assert all(event.actor == Actor(type="USER", id=user_id) for event in events)
    assert events[0].data["sku"] == "BULK-00000"
    assert (events[9_999].data["sku"], events[9_999].data["activeProducts"]) == ("BULK-09999", 10_000)
    # Each count its own version, so the newest version is always the latest count.
    assert [event.data["activeProductsVersion"] for event in events] == list(range(1, 10_002))
    assert {event.entity.version for event in events[:-1]} == {1}
    assert events[-1].data == {
        "created": 10_000,
        "updated": 0,
        "activeProducts": 10_000,
        "activeProductsVersion": 10_001,
    }
    assert (events[-1].entity.type, events[-1].entity.id, events[-1].entity.version) == (
        "Catalog",
        str(company_id),
        10_001,
    )


async def test_rows_update_products_by_sku_in_any_letter_case_and_keep_the_stored_sku(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    gloves = await catalog.create_product(company_id, sku="GLV-1", name="Gloves", unitPrice="5.00", category="Hands")
    soap = await catalog.create_product(company_id, sku="SOAP-1", name="Soap", unitPrice="2.00")
    text = (
        "unitPrice,sku,name,category\n"  # columns in any order, some left out
        "5.50,glv-1,Gloves,\n"  # new price, category cleared; the SKU stays GLV-1
        "2.00,soap-1,Soap,\n"  # as it is but for the SKU's letter case: unchanged
        "7.00,NEW-1,New thing,Tools\n"
    )

    response = await import_csv(catalog, company_id, text)

    assert response.json() == {"created": 1, "updated": 1, "unchanged": 1}
    by_id = {product["id"]: product for product in await catalog.all_products(company_id)}
    assert (by_id[gloves["id"]]["sku"], by_id[gloves["id"]]["unitPrice"], by_id[gloves["id"]]["category"]) == (
        "GLV-1",
        "5.50",
        None,
    )
    assert by_id[soap["id"]] == soap
    [updated] = await catalog.events(company_id, "ProductUpdated")
    assert (updated.data["sku"], updated.data["changes"]) == ("GLV-1", ["unitPrice", "category"])
    assert (updated.entity.id, updated.entity.version) == (gloves["id"], 2)
    [summary] = await catalog.events(company_id, "ProductsImported")
    # The count's versions: two creates, the new product, then the summary.
    assert summary.data == {"created": 1, "updated": 1, "activeProducts": 3, "activeProductsVersion": 4}


async def test_status_in_the_file_archives_and_restores(catalog: Catalog) -> None:
    company_id = await catalog.new_company(max_products=2)
    on_sale = await catalog.create_product(company_id, sku="ON")
    await catalog.create_product(company_id, sku="OFF", status="ARCHIVED")
    await catalog.create_product(company_id, sku="OTHER")

    # Archiving ON frees the slot RESTORED takes: allowed at the limit.
    response = await import_csv(catalog, company_id, "sku,status\nON,archived\nOFF,ACTIVE\nOTHER,\n")

    assert response.json() == {"created": 0, "updated": 2, "unchanged": 1}
    statuses = {product["sku"]: product["status"] for product in await catalog.all_products(company_id)}
    assert statuses == {"ON": "ARCHIVED", "OFF": "ACTIVE", "OTHER": "ACTIVE"}
    events = await catalog.events(company_id, "ProductArchived", "ProductRestored", "ProductsImported")
    assert [(e.type, e.data["activeProducts"]) for e in events] == [
        ("ProductArchived", 1),
        ("ProductRestored", 2),
        ("ProductsImported", 2),
    ]
    assert events[0].data["id"] == on_sale["id"]


async def test_an_import_past_max_products_is_refused_and_applies_nothing(catalog: Catalog) -> None:
    company_id = await catalog.new_company(max_products=2)
    await catalog.create_product(company_id, sku="A", unitPrice="1.00")

    response = await import_csv(catalog, company_id, "sku,name,unitPrice\nA,Renamed,1.00\nB,Bee,1.00\nC,Sea,1.00\n")

    body = assert_problem(response, 402)
    assert "2 active products (maxProducts)" in body["detail"]
    assert "This would make 3" in body["detail"]
    assert [(p["sku"], p["name"]) for p in await catalog.all_products(company_id)] == [
        ("A", "Nitrile gloves, box of 100")
    ]
    assert len(await catalog.events(company_id)) == 1


async def test_a_file_with_bad_rows_applies_nothing_and_reports_each_bad_line_and_field(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    existing = await catalog.create_product(company_id, sku="KEEP-1", unitPrice="1.00")
    text = (
        "sku,name,description,unitPrice,unitOfSale,status,category,imageUrl\n"  # line 1
        "GOOD-1,Good,,1.00,,,,\n"  # 2
        "BAD-PRICE,Negative,,-1.00,,,,\n"  # 3
        ",No SKU,,1.00,,,,\n"  # 4
        "BAD SKU,Spaces,,1.00,,,,\n"  # 5
        'MULTI,Multi,"Spans\ntwo lines",1.00,,,,\n'  # 6-7, fine (a description may span lines)
        "good-1,Same SKU as line 2,,1.00,,,,\n"  # 8
        "BAD-STATUS,Status,,1.00,,GONE,,\n"  # 9
        "BAD-URL,Url,,1.00,,,,ftp://example.com/x.png\n"  # 10
        "NO-NAME,,,1.00,,,,\n"  # 11
        "TOO-FEW,Cells,1.00\n"  # 12
        "KEEP-1,Kept,,abc,,,,\n"  # 13: existing product, bad price
        "TWO-BAD,Decimals,,1.001,,,c" + "x" * 100 + ",\n"  # 14: two problems
    )

    response = await import_csv(catalog, company_id, text)

    body = assert_problem(response, 422)
    assert [(error["line"], error["field"]) for error in body["errors"]] == [
        (3, "unitPrice"),
        (4, "sku"),
        (5, "sku"),
        (8, "sku"),
        (9, "status"),
        (10, "imageUrl"),
        (11, "name"),
        (12, "row"),
        (13, "unitPrice"),
        (14, "unitPrice"),
        (14, "category"),
    ]
    assert all(error["message"] for error in body["errors"])
    assert "line 2" in body["errors"][3]["message"]
    assert [p["id"] for p in await catalog.all_products(company_id)] == [existing["id"]]
    assert len(await catalog.events(company_id)) == 1


async def test_new_products_need_a_name_and_a_price_even_when_the_file_leaves_them_out(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    await catalog.create_product(company_id, sku="OLD", unitPrice="1.00")

    response = await import_csv(catalog, company_id, "sku,category\nOLD,Tools\nNEW,Tools\nBAD SKU,Tools\n")

    body = assert_problem(response, 422)
    assert [(error["line"], error["field"]) for error in body["errors"]] == [
        (3, "name"),
        (3, "unitPrice"),
        (4, "sku"),
    ]
    assert await catalog.row_count("products", company_id) == 1


async def test_a_bad_header_is_reported_on_line_one(catalog: Catalog) -> None:
    company_id = await catalog.new_company()

    unknown = await import_csv(catalog, company_id, "sku,name,price\nA,B,1.00\n")
    twice = await import_csv(catalog, company_id, "sku,name,name\nA,B,C\n")
    no_sku = await import_csv(catalog, company_id, "name,unitPrice\nB,1.00\n")
    empty = await import_csv(catalog, company_id, "")

    assert [(e["line"], e["field"]) for e in assert_problem(unknown, 422)["errors"]] == [(1, "price")]
    assert [(e["line"], e["field"]) for e in assert_problem(twice, 422)["errors"]] == [(1, "name")]
    assert [(e["line"], e["field"]) for e in assert_problem(no_sku, 422)["errors"]] == [(1, "sku")]
    assert [(e["line"], e["field"]) for e in assert_problem(empty, 422)["errors"]] == [(1, "header")]
    assert await catalog.row_count("products", company_id) == 0


async def test_a_file_uploaded_as_multipart_is_imported(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    content = "\ufeffsku,name,unitPrice\r\nUP-1,Uploaded,3.25\r\n".encode()

    response = await catalog.client.post(
        IMPORT, files={"file": ("products.csv", content, "text/csv")}, headers=catalog.staff(company_id)
    )
    missing = await catalog.client.post(
        IMPORT, files={"other": ("products.csv", content, "text/csv")}, headers=catalog.staff(company_id)
    )

    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert [(p["sku"], p["unitPrice"]) for p in await catalog.all_products(company_id)] == [("UP-1", "3.25")]
    assert_problem(missing, 400, "file")


async def test_a_file_that_is_not_utf8_csv_is_refused(catalog: Catalog) -> None:
    company_id = await catalog.new_company()

    latin1 = await catalog.client.post(
        IMPORT,
        content="sku,name,unitPrice\nA,Café,1.00\n".encode("latin-1"),
        headers={**catalog.staff(company_id), "content-type": "text/csv"},
    )
    json_body = await catalog.client.post(IMPORT, json={"sku": "A"}, headers=catalog.staff(company_id))

    assert_problem(latin1, 400, "file")
    assert_problem(json_body, 400)
    assert await catalog.row_count("products", company_id) == 0


async def test_a_file_over_the_size_limit_is_refused_as_too_large_and_imports_nothing(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    header = b"sku,name,unitPrice\n"
    at_limit = header + b"\n" * (MAX_IMPORT_BYTES - len(header))  # a header, then blank lines up to the limit
    over = at_limit + b"#"

    as_body = await catalog.client.post(
        IMPORT, content=over, headers={**catalog.staff(company_id), "content-type": "text/csv"}
    )
    as_file = await catalog.client.post(
        IMPORT, files={"file": ("products.csv", over, "text/csv")}, headers=catalog.staff(company_id)
    )
    at_limit_answer = await catalog.client.post(
        IMPORT, content=at_limit, headers={**catalog.staff(company_id), "content-type": "text/csv"}
    )

    for refused in (as_body, as_file):
        body = assert_problem(refused, 413)
        assert "larger than 20 MB" in body["detail"]
    # Exactly at the limit the file is read, not refused for its size (it holds no product).
    assert at_limit_answer.json() == {"created": 0, "updated": 0, "unchanged": 0}
    assert await catalog.row_count("products", company_id) == 0


async def test_importing_needs_catalog_write(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    text = "sku,name,unitPrice\nA,B,1.00\n"

    reader = await import_csv(catalog, company_id, text, **catalog.api_key(company_id, "catalog:read"))
    customer = await import_csv(catalog, company_id, text, **catalog.guest(company_id))
    writer = await import_csv(catalog, company_id, text, **catalog.api_key(company_id, "catalog:write"))

    assert_problem(reader, 403)
    assert_problem(customer, 401)  # a guest: not signed in
    assert writer.status_code == 200


async def test_export_streams_every_product_and_reimporting_it_changes_nothing(catalog: Catalog) -> None:
    company_id = await catalog.new_company(max_products=None)
    tricky: list[dict[str, Any]] = [
        {"sku": "A/1", "name": 'Gloves, "premium"', "description": "Line one\nLine two", "category": "Hände"},
        {"sku": "B.2", "name": "Soap", "unitPrice": "0.10", "unitOfSale": "bottle", "status": "ARCHIVED"},
        {"sku": "c_3", "name": "=SUM(A1)", "imageUrl": "https://cdn.example.com/c.png?size=2&x=1"},
        {"sku": "-D4", "name": "'=quoted already", "description": "+49 30 1234", "category": "@home"},
    ]
    for fields in tricky:
        await catalog.create_product(company_id, **fields)
    # More than one chunk of the stream.
    bulk = "sku,name,unitPrice\n" + "".join(f"Z-{i:04},Z {i},1.00\n" for i in range(1200))
    assert (await import_csv(catalog, company_id, bulk)).status_code == 200
    before = await catalog.all_products(company_id)
    events_before = len(await catalog.events(company_id))

    export = await catalog.client.get(EXPORT, headers=catalog.api_key(company_id, "catalog:read"))

    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert export.text.splitlines()[0] == "sku,name,description,unitPrice,unitOfSale,status,category,imageUrl"
    rows = {row["sku"]: row for row in rows_of(export.text)}
    assert len(rows) == 1204
    assert rows["A/1"] == {
        "sku": "A/1",
        "name": 'Gloves, "premium"',
        "description": "Line one\nLine two",
        "unitPrice": "12.50",
        "unitOfSale": "each",
        "status": "ACTIVE",
        "category": "Hände",
        "imageUrl": "",
    }
    assert (rows["B.2"]["unitPrice"], rows["B.2"]["status"]) == ("0.10", "ARCHIVED")
    # What a spreadsheet would run as a formula is written as text (a leading apostrophe).
    assert rows["c_3"]["name"] == "'=SUM(A1)"
    assert [rows["'-D4"][column] for column in ("sku", "name", "description", "category")] == [
        "'-D4",
        "''=quoted already",
        "'+49 30 1234",
        "'@home",
    ]

    reimport = await import_csv(catalog, company_id, export.text)

    assert reimport.json() == {"created": 0, "updated": 0, "unchanged": 1204}
    assert await catalog.all_products(company_id) == before
    events = await catalog.events(company_id)
    assert [event.type for event in events[events_before:]] == ["ProductsImported"]


async def test_an_apostrophe_before_a_formula_is_read_as_a_spreadsheet_would(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    text = "sku,name,unitPrice,category\nF-1,'=HYPERLINK(\"x\"),1.00,'Quoted\n"

    assert (await import_csv(catalog, company_id, text)).json() == {"created": 1, "updated": 0, "unchanged": 0}

    [product] = await catalog.all_products(company_id)
    assert (product["name"], product["category"]) == ('=HYPERLINK("x")', "'Quoted")


async def test_export_is_only_the_company_s_own_and_needs_catalog_read(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    other = await catalog.new_company()
    await catalog.create_product(company_id, sku="MINE")
    await catalog.create_product(other, sku="THEIRS")

    mine = await catalog.client.get(EXPORT, headers=catalog.staff(company_id))
    no_scope = await catalog.client.get(EXPORT, headers=catalog.api_key(company_id, "orders:read"))
    anonymous = await catalog.client.get(EXPORT, headers=catalog.guest(company_id))

    assert [row["sku"] for row in rows_of(mine.text)] == ["MINE"]
    assert_problem(no_scope, 403)
    assert_problem(anonymous, 401)
