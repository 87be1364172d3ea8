"""The catalog's pages without a browser, through the gateway: products and their CSV import and export, customers'
prices from both sides, the storefront settings, and the storefront's catalog as guests and customers see it."""

import csv
import html
import io
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.csrf import CSRF_COOKIE
from tests.e2e.test_dashboard_pages import join_as
from tests.e2e.test_storefront_pages import STORE_PASSWORD, set_password
from tests.support.api import sign_up, unique
from tests.support.events import wait_until
from tests.support.systems import RunningSystem

HTML = "text/html"
SIGN_IN_FOR_PRICES = "Sign in to see your prices"


# -- helpers the browser tests share ------------------------------------------------------------


def form(client: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    return {"csrf_token": client.cookies[CSRF_COOKIE], **fields}


def texts_of(page: str, testid: str) -> list[str]:
    """The text up to the first closing tag of each element marked `testid`, tags stripped."""
    return [
        html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found)).strip())
        for found in re.findall(rf'data-testid="{testid}"[^>]*>(.*?)</', page, re.S)
    ]


def location(response: httpx.Response) -> str:
    assert response.status_code == 303, f"{response.status_code}: {response.text[:500]}"
    return response.headers["location"]


async def open_catalog(owner: httpx.AsyncClient) -> dict[str, Any]:
    """A new company (its owner signed in on `owner`) once the catalog has heard of it and of its plan."""
    company: dict[str, Any] = (await sign_up(owner))["company"]

    async def catalog_knows_it() -> bool:
        limits = await owner.get("/api/v1/catalog/limits")
        return limits.status_code == 200 and limits.json()["maxProducts"] is not None

    await wait_until(catalog_knows_it, what="the catalog to learn of the company")
    return company


async def new_product(owner: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"sku": unique("SKU"), "name": "Olive oil 5 l", "unitPrice": "12.50", "unitOfSale": "can", **fields}
    response = await owner.post("/api/v1/products", json=body)
    assert response.status_code == 201, response.text
    product: dict[str, Any] = response.json()
    return product


async def new_customer(owner: httpx.AsyncClient, name: str = "Blue Plate Diner") -> dict[str, Any]:
    response = await owner.post("/api/v1/customers", json={"email": f"{unique('buyer')}@example.com", "name": name})
    assert response.status_code == 201, response.text
    customer: dict[str, Any] = response.json()
    return customer


async def wait_until_priceable(owner: httpx.AsyncClient, customer_id: str, product_id: str) -> None:
    """The catalog learns of customers from identity's events: a price for one is taken once it has.

    The probe price is removed again, so the customer starts with none.
    """

    async def accepted() -> dict[str, Any] | None:
        body = {"customerId": customer_id, "productId": product_id, "unitPrice": "1.00"}
        response = await owner.post("/api/v1/price-overrides", json=body)
        assert response.status_code in (201, 404), response.text
        return response.json() if response.status_code == 201 else None

    probe = await wait_until(accepted, what="the catalog to learn of the customer")
    assert (await owner.delete(f"/api/v1/price-overrides/{probe['id']}")).status_code == 204


async def new_contact(owner: httpx.AsyncClient, slug: str, customer: dict[str, Any]) -> dict[str, Any]:
    """A BUYER contact of `customer` who has set their storefront password (STORE_PASSWORD)."""
    body = {"email": f"{unique('buyer')}@example.com", "name": "Bo Buyer", "role": "BUYER"}
    response = await owner.post(f"/api/v1/customers/{customer['id']}/contacts", json=body)
    assert response.status_code == 201, response.text
    contact: dict[str, Any] = response.json()
    await set_password(str(owner.base_url), slug, contact["email"])
    return contact


async def products_of(owner: httpx.AsyncClient, **filters: str) -> list[dict[str, Any]]:
    response = await owner.get("/api/v1/products", params={"limit": "200", **filters})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def import_csv(owner: httpx.AsyncClient, text: str) -> dict[str, Any]:
    response = await owner.post("/api/v1/products/import", content=text, headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def upload(owner: httpx.AsyncClient, text: str) -> httpx.Response:
    """The import form, as a browser posts it: multipart with the file and the CSRF token."""
    files = {"file": ("products.csv", text.encode(), "text/csv")}
    return await owner.post("/dashboard/products/import", data=form(owner), files=files)


@pytest.fixture
async def owner(full_system: RunningSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=full_system.base_url) as client:
        yield client


@pytest.fixture
async def visitor(full_system: RunningSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=full_system.base_url) as client:
        yield client


# -- products -----------------------------------------------------------------------------------


async def test_product_form_creates_the_product_and_opens_its_page(owner: httpx.AsyncClient):
    await open_catalog(owner)
    new_page = await owner.get("/dashboard/products/new")
    assert new_page.status_code == 200
    assert 'value="each"' in new_page.text
    assert "Unit price (USD)" in new_page.text

    created = await owner.post(
        "/dashboard/products",
        data=form(
            owner,
            sku="OIL-5L",
            name="Olive oil 5 l",
            description="Cold pressed.",
            unit_price="12.5",
            unit_of_sale="can",
            status="ACTIVE",
            category="Pantry",
            image_url="",
        ),
    )

    [product] = await products_of(owner)
    assert location(created) == f"/dashboard/products/{product['id']}"
    assert (product["sku"], product["unitPrice"], product["category"], product["imageUrl"]) == (
        "OIL-5L",
        "12.50",
        "Pantry",
        None,
    )
    page = await owner.get(location(created))
    assert texts_of(page.text, "flash") == ["Product added."]
    assert texts_of(page.text, "product-name") == ["Olive oil 5 l"]
    assert texts_of(page.text, "product-price") == ["$12.50"]
    listed = await owner.get("/dashboard/products")
    assert texts_of(listed.text, "product-sku") == ["OIL-5L"]
    assert 'data-testid="nav-products"' in listed.text


async def test_product_form_refusals_show_on_their_fields_and_create_nothing(owner: httpx.AsyncClient):
    await open_catalog(owner)
    existing = await new_product(owner, sku="TAKEN-1")

    bad = await owner.post(
        "/dashboard/products",
        data=form(owner, sku="no spaces!", name=" ", unit_price="1.234", unit_of_sale="each", status="ACTIVE"),
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith(HTML)
    assert texts_of(bad.text, "error-banner") == ["Please correct the fields marked below."]
    assert texts_of(bad.text, "error-sku") == ["A SKU may contain only letters, digits and - _ . /"]
    assert texts_of(bad.text, "error-name")
    assert texts_of(bad.text, "error-unit_price")
    assert 'value="no spaces!"' in bad.text

    taken = await owner.post(
        "/dashboard/products",
        data=form(owner, sku="taken-1", name="Another", unit_price="2", unit_of_sale="each", status="ACTIVE"),
    )
    assert taken.status_code == 409
    assert texts_of(taken.text, "error-sku") == [
        "A product with this SKU already exists (SKUs are compared without letter case)."
    ]
    assert [product["id"] for product in await products_of(owner)] == [existing["id"]]


async def test_product_edit_archive_restore_and_delete(owner: httpx.AsyncClient):
    await open_catalog(owner)
    product = await new_product(owner, category="Pantry", description="Old text")
    page_path = f"/dashboard/products/{product['id']}"

    saved = await owner.post(
        page_path,
        data=form(
            owner,
            sku=product["sku"],
            name="Olive oil, 5 litres",
            description="",
            unit_price="13.00",
            unit_of_sale="can",
            category="Oils",
            image_url="https://img.example.com/oil.png",
        ),
    )
    assert location(saved) == page_path
    changed = (await owner.get(f"/api/v1/products/{product['id']}")).json()
    assert (changed["name"], changed["description"], changed["unitPrice"], changed["category"]) == (
        "Olive oil, 5 litres",
        None,
        "13.00",
        "Oils",
    )

    refused = await owner.post(
        page_path, data=form(owner, sku=product["sku"], name="X", unit_price="-1", unit_of_sale="can")
    )
    assert refused.status_code == 422
    assert texts_of(refused.text, "error-unit_price")
    assert 'value="-1"' in refused.text
    assert (await owner.get(f"/api/v1/products/{product['id']}")).json()["unitPrice"] == "13.00"

    archived = await owner.post(f"{page_path}/archive", data=form(owner))
    assert location(archived) == page_path
    page = await owner.get(page_path)
    assert texts_of(page.text, "product-status") == ["Archived"]
    assert 'data-testid="product-restore"' in page.text
    only_archived = await owner.get("/dashboard/products", params={"status": "ARCHIVED"})
    assert texts_of(only_archived.text, "product-sku") == [product["sku"]]
    only_active = await owner.get("/dashboard/products", params={"status": "ACTIVE"})
    assert texts_of(only_active.text, "products-empty") == ["No product matches these filters."]

    restored = await owner.post(f"{page_path}/restore", data=form(owner))
    assert location(restored) == page_path
    assert (await owner.get(f"/api/v1/products/{product['id']}")).json()["status"] == "ACTIVE"

    deleted = await owner.post(f"{page_path}/delete", data=form(owner))
    assert location(deleted) == "/dashboard/products"
    assert await products_of(owner) == []
    gone = await owner.get(page_path)
    assert gone.status_code == 404
    assert 'data-testid="error-page"' in gone.text


async def test_product_list_searches_filters_by_category_and_pages(owner: httpx.AsyncClient):
    await open_catalog(owner)
    rows = "\n".join(f"BOLT-{n:02},Bolt {n:02},0.10,{'Bolts' if n % 2 else 'Screws'}" for n in range(30))
    await import_csv(owner, f"sku,name,unitPrice,category\n{rows}\n")

    first = await owner.get("/dashboard/products")
    assert len(texts_of(first.text, "product-sku")) == 25
    next_url = re.search(r'href="([^"]+)" data-testid="products-next"', first.text)
    assert next_url is not None
    second = await owner.get(html.unescape(next_url.group(1)))
    assert len(texts_of(second.text, "product-sku")) == 5
    assert 'data-testid="products-newest"' in second.text
    assert 'data-testid="products-next"' not in second.text

    found = await owner.get("/dashboard/products", params={"q": "bolt 07"})
    assert texts_of(found.text, "product-sku") == ["BOLT-07"]
    screws = await owner.get("/dashboard/products", params={"category": "Screws"})
    assert len(texts_of(screws.text, "product-sku")) == 15
    assert set(texts_of(screws.text, "product-category")) == {"Screws"}


async def test_another_companys_product_is_the_404_page(full_system: RunningSystem, owner: httpx.AsyncClient):
    await open_catalog(owner)
    async with httpx.AsyncClient(base_url=full_system.base_url) as other:
        await open_catalog(other)
        theirs = await new_product(other)

    page = await owner.get(f"/dashboard/products/{theirs['id']}")
    archive = await owner.post(f"/dashboard/products/{theirs['id']}/archive", data=form(owner))
    not_an_id = await owner.get("/dashboard/products/not-an-id")

    assert [page.status_code, archive.status_code, not_an_id.status_code] == [404, 404, 404]
    assert 'data-testid="error-page"' in page.text


async def test_the_plan_limit_on_products_is_a_banner_naming_it(owner: httpx.AsyncClient):
    await open_catalog(owner)
    # The Starter plan allows 100 active products.
    rows = "\n".join(f"ITEM-{n:03},Item {n:03},1.00" for n in range(100))
    await import_csv(owner, f"sku,name,unitPrice\n{rows}\n")

    refused = await owner.post(
        "/dashboard/products",
        data=form(owner, sku="ONE-MORE", name="One more", unit_price="1", unit_of_sale="each", status="ACTIVE"),
    )

    assert refused.status_code == 402
    [message] = texts_of(refused.text, "error-banner")
    assert "allows 100 active products (maxProducts)" in message
    assert 'value="ONE-MORE"' in refused.text
    assert len(await products_of(owner)) == 100


async def test_members_manage_products_but_not_the_storefront_settings(
    full_system: RunningSystem, owner: httpx.AsyncClient
):
    await open_catalog(owner)
    member = await join_as(full_system.base_url, owner, "MEMBER")
    try:
        listed = await member.get("/dashboard/products")
        created = await member.post(
            "/dashboard/products",
            data=form(member, sku="M-1", name="By a member", unit_price="1", unit_of_sale="each", status="ACTIVE"),
        )
        settings = await member.post("/dashboard/settings/storefront", data=form(member, currency="EUR"))
    finally:
        await member.aclose()

    assert listed.status_code == 200
    assert 'data-testid="nav-products"' in listed.text
    assert 'data-testid="nav-settings"' not in listed.text
    assert location(created).startswith("/dashboard/products/")
    assert settings.status_code == 403
    assert "OWNER or ADMIN" in texts_of(settings.text, "error-banner")[0]
    assert (await owner.get("/api/v1/company")).json()["currency"] == "USD"


async def test_signed_out_visitors_and_forms_without_csrf_token(full_system: RunningSystem, owner: httpx.AsyncClient):
    await open_catalog(owner)
    product = await new_product(owner)
    async with httpx.AsyncClient(base_url=full_system.base_url) as stranger:
        for path in ("/dashboard/products", "/dashboard/products/new", "/dashboard/products/export"):
            assert (await stranger.get(path)).headers["location"].startswith("/login?next=")

    no_token = [
        await owner.post("/dashboard/products", data={"sku": "X", "name": "X", "unit_price": "1"}),
        await owner.post(f"/dashboard/products/{product['id']}/delete", data={}),
        await owner.post("/dashboard/products/import", files={"file": ("p.csv", b"sku,name,unitPrice\nY,Y,1\n")}),
    ]

    assert [response.status_code for response in no_token] == [403, 403, 403]
    assert [item["sku"] for item in await products_of(owner)] == [product["sku"]]


# -- import and export --------------------------------------------------------------------------


async def test_import_with_a_bad_row_shows_each_line_and_field_and_applies_nothing(owner: httpx.AsyncClient):
    await open_catalog(owner)
    existing = await new_product(owner, sku="KEEP-1", name="Kept as is")
    text = "sku,name,unitPrice\nNEW-1,New one,2.00\nKEEP-1,Renamed,3.00\nNEW-2,,abc\n"

    refused = await upload(owner, text)

    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith(HTML)
    assert "<h2>Nothing was imported</h2>" in refused.text
    # Each problem is listed by its line; the banner does not say it again.
    assert 'data-testid="error-banner"' not in refused.text
    problems = texts_of(refused.text, "import-error")
    assert problems
    assert all(problem.startswith("line 4, ") for problem in problems)
    assert any(problem.startswith("line 4, unitPrice: ") for problem in problems)
    assert [(item["sku"], item["name"]) for item in await products_of(owner)] == [("KEEP-1", existing["name"])]

    applied = await upload(owner, "sku,name,unitPrice\nNEW-1,New one,2.00\nKEEP-1,Renamed,3.00\n")

    assert applied.status_code == 200
    assert applied.headers["cache-control"] == "no-store"
    assert texts_of(applied.text, "import-created") == ["1"]
    assert texts_of(applied.text, "import-updated") == ["1"]
    assert sorted((item["sku"], item["name"]) for item in await products_of(owner)) == [
        ("KEEP-1", "Renamed"),
        ("NEW-1", "New one"),
    ]


async def test_import_of_a_file_that_is_not_utf8_is_refused_with_the_apis_message(owner: httpx.AsyncClient):
    await open_catalog(owner)

    refused = await upload(owner, "")
    latin1 = await owner.post(
        "/dashboard/products/import",
        data=form(owner),
        files={"file": ("p.csv", "sku,name,unitPrice\nCAFÉ,Café,1\n".encode("latin-1"), "text/csv")},
    )

    assert refused.status_code == 422
    assert texts_of(refused.text, "import-error")[0].startswith("line 1, header: ")
    assert latin1.status_code == 400
    [message] = texts_of(latin1.text, "error-banner")
    assert message.startswith("The file is not UTF-8 text")
    assert 'data-testid="import-errors"' not in latin1.text
    assert await products_of(owner) == []


async def test_export_downloads_the_catalog_as_csv(owner: httpx.AsyncClient):
    await open_catalog(owner)
    await new_product(owner, sku="OIL-5L", name="Olive oil, 5 l", category="Pantry")
    await new_product(owner, sku="SALT-1", name="Sea salt", unitPrice="3.20", status="ARCHIVED")

    download = await owner.get("/dashboard/products/export")

    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == 'attachment; filename="products.csv"'
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert sorted((row["sku"], row["name"], row["unitPrice"], row["status"]) for row in rows) == [
        ("OIL-5L", "Olive oil, 5 l", "12.50", "ACTIVE"),
        ("SALT-1", "Sea salt", "3.20", "ARCHIVED"),
    ]
    # What the export gives, the import takes back without a change.
    again = await upload(owner, download.text)
    assert (texts_of(again.text, "import-created"), texts_of(again.text, "import-unchanged")) == (["0"], ["2"])


# -- prices -------------------------------------------------------------------------------------


async def test_customer_prices_are_set_changed_and_removed_from_the_customers_page(owner: httpx.AsyncClient):
    await open_catalog(owner)
    product = await new_product(owner, sku="OIL-5L")
    customer = await new_customer(owner)
    await wait_until_priceable(owner, customer["id"], product["id"])
    page_path = f"/dashboard/customers/{customer['id']}"

    salt = await new_product(owner, sku="SALT-1", name="Sea salt")
    page = await owner.get(page_path)
    assert texts_of(page.text, "prices-empty")
    assert f'<option value="{product["id"]}"' in page.text
    # Past the picker's 200 products, a search narrows it.
    search = await owner.get(page_path, params={"product_q": "salt"})
    assert f'<option value="{salt["id"]}"' in search.text
    assert f'<option value="{product["id"]}"' not in search.text

    bad = await owner.post(
        f"{page_path}/prices", data=form(owner, price_product_id=product["id"], price_unit_price="x")
    )
    assert bad.status_code == 422
    assert texts_of(bad.text, "error-price_unit_price")
    assert (await owner.get("/api/v1/price-overrides", params={"customerId": customer["id"]})).json()["items"] == []

    set_price = await owner.post(
        f"{page_path}/prices", data=form(owner, price_product_id=product["id"], price_unit_price="9.5")
    )
    assert location(set_price) == f"{page_path}#prices"
    page = await owner.get(page_path)
    assert texts_of(page.text, "flash") == ["Price set. The customer and all its contacts pay it from now on."]
    assert texts_of(page.text, "price-sku") == ["OIL-5L"]
    assert texts_of(page.text, "price-list") == ["$12.50"]
    assert 'value="9.50"' in page.text
    # A product with its own price is changed in its row, not offered again.
    assert f'<option value="{product["id"]}"' not in page.text
    [override] = (await owner.get("/api/v1/price-overrides", params={"customerId": customer["id"]})).json()["items"]

    refused = await owner.post(f"{page_path}/prices/{override['id']}", data=form(owner, unit_price="1.001"))
    assert refused.status_code == 422
    assert texts_of(refused.text, "error-price-value")
    assert 'value="1.001"' in refused.text
    changed = await owner.post(f"{page_path}/prices/{override['id']}", data=form(owner, unit_price="8.75"))
    assert location(changed) == f"{page_path}#prices"
    assert (await owner.get(f"/api/v1/price-overrides/{override['id']}")).json()["unitPrice"] == "8.75"

    product_page = await owner.get(f"/dashboard/products/{product['id']}")
    assert texts_of(product_page.text, "price-customer") == [customer["name"]]
    assert 'value="8.75"' in product_page.text

    removed = await owner.post(f"{page_path}/prices/{override['id']}/remove", data=form(owner))
    assert location(removed) == f"{page_path}#prices"
    assert (await owner.get("/api/v1/price-overrides", params={"customerId": customer["id"]})).json()["items"] == []


async def test_customer_prices_are_set_from_the_products_page(owner: httpx.AsyncClient):
    await open_catalog(owner)
    product = await new_product(owner)
    customer = await new_customer(owner, name="Corner Bistro")
    other = await new_customer(owner, name="Harbor Cafe")
    await wait_until_priceable(owner, customer["id"], product["id"])
    page_path = f"/dashboard/products/{product['id']}"

    search = await owner.get(page_path, params={"customer_q": "bistro"})
    assert f'<option value="{customer["id"]}"' in search.text
    assert f'<option value="{other["id"]}"' not in search.text

    set_price = await owner.post(
        f"{page_path}/prices", data=form(owner, price_customer_id=customer["id"], price_unit_price="11")
    )
    assert location(set_price) == f"{page_path}#prices"
    page = await owner.get(page_path)
    assert texts_of(page.text, "price-customer") == ["Corner Bistro"]
    assert f'<option value="{customer["id"]}"' not in page.text
    [override] = (await owner.get("/api/v1/price-overrides", params={"productId": product["id"]})).json()["items"]
    assert (override["customerId"], override["unitPrice"]) == (customer["id"], "11.00")

    # Two prices for one pair are refused with the API's message.
    again = await owner.post(
        f"{page_path}/prices", data=form(owner, price_customer_id=customer["id"], price_unit_price="10")
    )
    assert again.status_code == 409
    assert "already has its own price" in texts_of(again.text, "error-banner")[0]

    removed = await owner.post(f"{page_path}/prices/{override['id']}/remove", data=form(owner))
    assert location(removed) == f"{page_path}#prices"
    assert texts_of((await owner.get(page_path)).text, "prices-empty")


# -- settings and the storefront catalog --------------------------------------------------------


async def test_settings_toggle_makes_guest_prices_visible(owner: httpx.AsyncClient, visitor: httpx.AsyncClient):
    company = await open_catalog(owner)
    await new_product(owner, sku="OIL-5L", unitPrice="12.50")
    catalog_path = f"/store/{company['slug']}/catalog"

    hidden = await visitor.get(catalog_path)
    assert hidden.status_code == 200
    assert texts_of(hidden.text, "catalog-sku") == ["OIL-5L"]
    assert texts_of(hidden.text, "catalog-sign-in-for-prices") == [SIGN_IN_FOR_PRICES]
    assert f'href="/store/{company["slug"]}/login?next={catalog_path}"' in hidden.text
    assert "12.50" not in hidden.text

    settings = await owner.get("/dashboard/settings")
    assert 'name="currency" type="text" value="USD"' in settings.text
    assert 'data-testid="field-show_prices_to_guests">' in settings.text  # not checked
    saved = await owner.post(
        "/dashboard/settings/storefront", data=form(owner, currency="eur", show_prices_to_guests="on")
    )
    assert location(saved) == "/dashboard/settings#storefront"
    company_now = (await owner.get("/api/v1/company")).json()
    assert (company_now["currency"], company_now["showPricesToGuests"]) == ("EUR", True)
    settings = await owner.get("/dashboard/settings")
    assert 'data-testid="field-show_prices_to_guests" checked' in settings.text

    async def guest_sees_prices() -> str | None:
        page = await visitor.get(catalog_path)
        return page.text if "catalog-effective-price" in page.text else None

    shown = await wait_until(guest_sees_prices, what="the catalog to learn of the new settings")
    assert texts_of(shown, "catalog-effective-price") == ["12,50 €"]
    assert SIGN_IN_FOR_PRICES not in shown

    # Unticked, the box is not posted at all: that is "off".
    await owner.post("/dashboard/settings/storefront", data=form(owner, currency="EUR"))
    assert (await owner.get("/api/v1/company")).json()["showPricesToGuests"] is False


async def test_an_unknown_currency_is_refused_on_its_field_and_changes_nothing(owner: httpx.AsyncClient):
    await open_catalog(owner)

    refused = await owner.post(
        "/dashboard/settings/storefront", data=form(owner, currency="XYZ", show_prices_to_guests="on")
    )

    assert refused.status_code == 422
    assert texts_of(refused.text, "error-currency") == [
        "Use a three-letter ISO 4217 currency code, e.g. USD, EUR or GBP."
    ]
    assert 'name="currency" type="text" value="XYZ"' in refused.text
    company = (await owner.get("/api/v1/company")).json()
    assert (company["currency"], company["showPricesToGuests"]) == ("USD", False)


async def test_a_signed_in_contact_sees_the_customers_prices_with_the_list_price_struck_through(
    owner: httpx.AsyncClient, visitor: httpx.AsyncClient
):
    company = await open_catalog(owner)
    slug = company["slug"]
    special = await new_product(owner, sku="OIL-5L", name="Olive oil", unitPrice="12.50")
    await new_product(owner, sku="SALT-1", name="Sea salt", unitPrice="3.20")
    customer = await new_customer(owner)
    await wait_until_priceable(owner, customer["id"], special["id"])
    body = {"customerId": customer["id"], "productId": special["id"], "unitPrice": "9.75"}
    assert (await owner.post("/api/v1/price-overrides", json=body)).status_code == 201
    contact = await new_contact(owner, slug, customer)

    login_page = await visitor.get(f"/store/{slug}/login")
    signed = await visitor.post(
        f"/store/{slug}/login",
        data={
            "email": contact["email"],
            "password": STORE_PASSWORD,
            "next": f"/store/{slug}/catalog",
            "csrf_token": re.findall(r'name="csrf_token" value="([^"]+)"', login_page.text)[0],
        },
    )
    assert location(signed) == f"/store/{slug}/catalog"
    page = await visitor.get(f"/store/{slug}/catalog")

    assert SIGN_IN_FOR_PRICES not in page.text
    cards = dict(
        zip(texts_of(page.text, "catalog-sku"), page.text.split('data-testid="catalog-product"')[1:], strict=True)
    )
    assert texts_of(cards["OIL-5L"], "catalog-list-price") == ["$12.50"]
    assert texts_of(cards["OIL-5L"], "catalog-effective-price") == ["$9.75"]
    assert "<s " in cards["OIL-5L"]
    assert texts_of(cards["SALT-1"], "catalog-effective-price") == ["$3.20"]
    assert "catalog-list-price" not in cards["SALT-1"]

    detail = await visitor.get(f"/store/{slug}/catalog/{special['id']}")
    assert texts_of(detail.text, "catalog-effective-price") == ["$9.75"]
    assert texts_of(detail.text, "catalog-list-price") == ["$12.50"]


async def test_the_storefront_catalog_searches_filters_by_category_pages_and_hides_archived_products(
    owner: httpx.AsyncClient, visitor: httpx.AsyncClient
):
    company = await open_catalog(owner)
    catalog_path = f"/store/{company['slug']}/catalog"
    rows = "\n".join(f"CUP-{n:02},Cup {n:02},2.00,{'Mugs' if n < 5 else 'Glasses'},ACTIVE" for n in range(30))
    await import_csv(owner, f"sku,name,unitPrice,category,status\n{rows}\nOLD-1,Old cup,1.00,Mugs,ARCHIVED\n")

    first = await visitor.get(catalog_path)
    assert len(texts_of(first.text, "catalog-sku")) == 24
    assert '<option value="Glasses">' in first.text
    assert '<option value="Mugs">' in first.text
    next_url = re.search(r'href="([^"]+)" data-testid="catalog-next"', first.text)
    assert next_url is not None
    second = await visitor.get(html.unescape(next_url.group(1)))
    assert len(texts_of(second.text, "catalog-sku")) == 6
    assert f'href="{catalog_path}" data-testid="catalog-first"' in second.text
    assert "OLD-1" not in first.text + second.text

    mugs = await visitor.get(catalog_path, params={"category": "Mugs"})
    assert sorted(texts_of(mugs.text, "catalog-sku")) == [f"CUP-{n:02}" for n in range(5)]
    found = await visitor.get(catalog_path, params={"q": "cup 07"})
    assert texts_of(found.text, "catalog-sku") == ["CUP-07"]
    nothing = await visitor.get(catalog_path, params={"q": "teapot"})
    assert texts_of(nothing.text, "catalog-empty")

    archived = (await products_of(owner, status="ARCHIVED"))[0]
    gone = await visitor.get(f"{catalog_path}/{archived['id']}")
    assert gone.status_code == 404
    missing = await visitor.get(f"{catalog_path}/{uuid.uuid4()}")
    assert missing.status_code == 404
