"""The dashboard's orders in a real browser (the first test at desktop width and at 390 px, the others at
desktop width): a new internal order and one for a customer at that customer's own price, the list with its
filters and CSV export, an order walked from pending to delivered with its history, a cancellation with its
reason, a step someone else took first refused in place, the audit log telling what happened in words, and a
member doing all of it. Screenshots go to test-results/dashboard-orders/.
"""

import csv
import io
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_catalog_pages import new_customer, new_product, open_catalog, wait_until_priceable
from tests.e2e.test_storefront_pages import STORE_PASSWORD, set_password
from tests.support.api import PASSWORD, send_csrf_token, unique
from tests.support.events import wait_until
from tests.support.systems import RunningSystem

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "dashboard-orders"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
# The first test walks every orders page at both widths; the others check behaviour, once, at desktop width.
DESKTOP_ONLY = pytest.mark.parametrize("screen", ["desktop"], indirect=True)

Shot = Callable[[str], Awaitable[None]]


@pytest.fixture(params=list(WIDTHS))
async def screen(request: pytest.FixtureRequest, browser: Browser) -> AsyncIterator[Page]:
    width, height = WIDTHS[request.param]
    context = await browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    yield page
    await context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest, screen: Page) -> Shot:
    """Saves a full-page screenshot named after the test, its width and the moment."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")

    async def take(moment: str) -> None:
        await screen.screenshot(path=str(SHOTS / f"{test}-{moment}.png"), full_page=True)

    return take


@pytest.fixture
async def owner(full_system: RunningSystem) -> AsyncIterator[httpx.AsyncClient]:
    """A new company's owner on the API, once the catalog knows the company."""
    async with httpx.AsyncClient(base_url=full_system.base_url) as client:
        await open_catalog(client)
        yield client


# -- helpers ------------------------------------------------------------------------------------------


async def sign_in(page: Page, base_url: str, email: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_url(f"{base_url}/dashboard")


async def owner_email(owner: httpx.AsyncClient) -> str:
    email: str = (await owner.get("/api/v1/me")).json()["user"]["email"]
    return email


async def wait_until_orderable(
    owner: httpx.AsyncClient, product_ids: list[str], customer_id: str | None = None
) -> None:
    """Orders learns of products and customers from events: wait until a placement would find them all.

    The probe adds a product that does not exist, so it is always refused (nothing placed, no number taken): once
    that unknown line is the only one named, the others are known (and the customer too, or it would be a 404)."""
    unknown_line = f"items.{len(product_ids)}.productId"

    async def known() -> bool:
        items = [{"productId": product_id, "quantity": 1} for product_id in [*product_ids, str(uuid.uuid4())]]
        body: dict[str, Any] = {"items": items, **({"customerId": customer_id} if customer_id else {})}
        answer = await owner.post("/api/v1/orders", json=body)
        if answer.status_code != 422:
            return False
        return {error["field"] for error in answer.json().get("errors", [])} == {unknown_line}

    await wait_until(known, within=20, what="orders to know the products and the customer")


async def wait_until_orders_price(
    base_url: str, slug: str, customer: dict[str, Any], product_id: str, price: str
) -> None:
    """Orders prices from its own copy of the overrides: wait until the customer's cart shows `price`."""
    await set_password(base_url, slug, customer["email"])
    async with httpx.AsyncClient(base_url=base_url) as buyer:
        login = await buyer.post(
            f"/store/{slug}/api/login", json={"email": customer["email"], "password": STORE_PASSWORD}
        )
        assert login.status_code == 200, login.text
        send_csrf_token(buyer)

        async def priced() -> bool:
            put = await buyer.put(f"/store/{slug}/api/cart/items/{product_id}", json={"quantity": 1})
            if put.status_code != 200:
                return False
            cart = (await buyer.get(f"/store/{slug}/api/cart")).json()
            return any(item["productId"] == product_id and item["unitPrice"] == price for item in cart["items"])

        await wait_until(priced, within=20, what=f"orders to price the product at {price}")
        await buyer.delete(f"/store/{slug}/api/cart")


async def place(owner: httpx.AsyncClient, product_id: str, quantity: int = 1, **fields: Any) -> dict[str, Any]:
    answer = await owner.post(
        "/api/v1/orders", json={"items": [{"productId": product_id, "quantity": quantity}], **fields}
    )
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()
    return order


async def no_sideways_scroll(page: Page) -> None:
    widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


async def add_line(page: Page, product: dict[str, Any], quantity: int) -> None:
    lines = page.get_by_test_id("order-lines")
    await lines.get_by_label("Find a product").fill(product["sku"])
    await lines.get_by_test_id("product-find").click()
    await lines.get_by_label("Product", exact=True).select_option(product["id"])
    await lines.get_by_label("Quantity", exact=True).fill(str(quantity))
    await lines.get_by_test_id("line-add").click()
    await expect(page.get_by_test_id("line-row").filter(has_text=product["sku"])).to_be_visible()


async def audit_descriptions(page: Page, base_url: str, expected: list[str]) -> None:
    """The audit log records events as they arrive: reload until every `expected` description is listed."""

    async def listed() -> bool:
        await page.goto(f"{base_url}/dashboard/audit-log")
        texts = await page.get_by_test_id("audit-description").all_inner_texts()
        return all(any(wanted in text for text in texts) for wanted in expected)

    await wait_until(listed, within=20, what=f"the audit log to describe {expected}")


# -- tests --------------------------------------------------------------------------------------------


async def test_an_internal_order_is_placed_and_walked_to_delivered_with_its_history(
    full_system: RunningSystem, owner: httpx.AsyncClient, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    oil = await new_product(owner, sku=unique("OIL"), name="Olive oil 5 l", unitPrice="12.50")
    salt = await new_product(owner, sku=unique("SALT"), name="Sea salt 1 kg", unitPrice="3.20")
    await wait_until_orderable(owner, [oil["id"], salt["id"]])
    await sign_in(screen, base_url, await owner_email(owner))

    await screen.get_by_test_id("nav-orders").click()
    await expect(screen.get_by_test_id("orders-empty")).to_be_visible()
    await screen.get_by_test_id("order-new").click()
    await screen.wait_for_url(f"{base_url}/dashboard/orders/new")
    await expect(screen.get_by_label("Order for")).to_have_value("")  # internal, unless a customer is chosen
    await add_line(screen, oil, 3)
    await add_line(screen, salt, 2)
    oil_line = screen.get_by_test_id("line-row").filter(has_text=oil["sku"])
    await expect(oil_line.get_by_test_id("line-total")).to_have_text("$37.50")
    await expect(screen.get_by_test_id("draft-total")).to_have_text("$43.90")
    await no_sideways_scroll(screen)
    await shot("lines-added")

    shipping = screen.get_by_test_id("order-shipping")
    await shipping.get_by_test_id("shipping-new").check()
    await shipping.locator("#country").select_option("US")
    await shipping.locator("#line1").fill("1 Warehouse Way")
    await shipping.locator("#city").fill("Springfield")
    if await shipping.locator("#region").is_visible():
        await shipping.locator("#region").fill("IL")
    await shipping.locator("#postal_code").fill("62701")
    await screen.get_by_label("PO number (optional)").fill("PO-7781")
    await screen.get_by_label("Requested delivery date (optional)").fill("2030-05-01")
    await screen.get_by_label("Notes (optional)").fill("Back door, mornings only.")
    await shot("ready-to-place")
    await screen.get_by_test_id("order-place").click()

    refused = screen.get_by_test_id("error-banner")
    await expect(screen.get_by_test_id("order-number").or_(refused)).to_be_visible()
    await expect(refused).to_have_count(0)
    await expect(screen).to_have_url(re.compile(r".*/dashboard/orders/[0-9a-f-]{36}$"))
    await expect(screen.get_by_test_id("flash")).to_have_text("Order placed.")
    await expect(screen.get_by_test_id("order-number")).to_have_text("SO-000001")
    await expect(screen.get_by_test_id("order-customer")).to_contain_text("Internal order")
    await expect(screen.get_by_test_id("item-row")).to_have_count(2)
    await expect(screen.get_by_test_id("order-total")).to_have_text("$43.90")
    await expect(screen.get_by_test_id("order-po")).to_have_text("PO-7781")
    await expect(screen.get_by_test_id("order-delivery-date")).to_have_text("2030-05-01")
    await expect(screen.get_by_test_id("order-notes")).to_have_text("Back door, mornings only.")
    await expect(screen.get_by_test_id("order-address")).to_contain_text("1 Warehouse Way")
    await expect(screen.get_by_test_id("order-placed-by")).to_contain_text("Ada Owner")
    await expect(screen.get_by_test_id("history-row")).to_have_count(1)
    await no_sideways_scroll(screen)
    await shot("placed")

    steps = [("Mark confirmed", "Order confirmed.", "CONFIRMED"), ("Mark shipped", "Order marked shipped.", "SHIPPED")]
    steps.append(("Mark delivered", "Order marked delivered.", "DELIVERED"))
    for count, (label, message, status) in enumerate(steps, start=2):
        panel = screen.get_by_test_id("order-status-panel")
        await expect(panel.get_by_test_id("order-next-status")).to_have_text(label)
        await panel.get_by_test_id("order-next-status").click()
        await expect(panel.get_by_test_id("flash")).to_have_text(message)
        assert screen.url.endswith("#status")
        await expect(screen.locator("h1").get_by_test_id("order-status")).to_have_attribute("data-status", status)
        await expect(panel.get_by_test_id("history-row")).to_have_count(count)
        await expect(panel.get_by_test_id("history-row").last).to_have_attribute("data-status", status)
        await expect(panel.get_by_test_id("history-actor").last).to_have_text("Ada Owner")
        await shot(status.lower())
    # Delivered: no step left, and no cancelling.
    await expect(screen.get_by_test_id("order-next-status")).to_have_count(0)
    await expect(screen.get_by_test_id("order-cancel")).to_have_count(0)
    await expect(screen.get_by_test_id("order-final")).to_contain_text("Delivered")

    await audit_descriptions(
        screen,
        base_url,
        ["SO-000001 placed by Ada Owner (internal order), total $43.90", "SO-000001 PENDING → CONFIRMED"],
    )
    await expect(screen.get_by_test_id("audit-description").filter(has_text="SHIPPED → DELIVERED")).to_have_count(1)
    await no_sideways_scroll(screen)
    await shot("audit-log")


@DESKTOP_ONLY
async def test_an_order_for_a_customer_is_at_their_own_price_and_shows_on_their_page(
    full_system: RunningSystem, owner: httpx.AsyncClient, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    slug = (await owner.get("/api/v1/company")).json()["slug"]
    product = await new_product(owner, sku=unique("TEA"), name="Green tea", unitPrice="12.50")
    customer = await new_customer(owner, name=unique("Corner Cafe"))
    address: dict[str, Any] = {"label": "Kitchen", "line1": "5 Market Street", "city": "Portland", "region": "OR"}
    address |= {"postalCode": "97201", "country": "US", "isDefault": True}
    added = await owner.post(f"/api/v1/customers/{customer['id']}/addresses", json=address)
    assert added.status_code == 201, added.text
    await wait_until_priceable(owner, customer["id"], product["id"])
    override = await owner.post(
        "/api/v1/price-overrides", json={"customerId": customer["id"], "productId": product["id"], "unitPrice": "9.50"}
    )
    assert override.status_code == 201, override.text
    await wait_until_orderable(owner, [product["id"]], customer["id"])
    await wait_until_orders_price(base_url, slug, customer, product["id"], "9.50")
    await sign_in(screen, base_url, await owner_email(owner))

    await screen.goto(f"{base_url}/dashboard/customers/{customer['id']}")
    orders_panel = screen.get_by_test_id("customer-orders")
    await expect(orders_panel.get_by_test_id("customer-orders-empty")).to_be_visible()
    await orders_panel.get_by_test_id("customer-new-order").click()
    await expect(screen.get_by_label("Order for")).to_have_value(customer["id"])
    # The picker offers the product at the customer's price, the list price beside it.
    option = screen.get_by_label("Product", exact=True).locator(f'option[value="{product["id"]}"]')
    await expect(option).to_contain_text("$9.50 (list $12.50)")
    await add_line(screen, product, 2)
    line = screen.get_by_test_id("line-row")
    await expect(line.get_by_test_id("line-unit-price")).to_contain_text("$9.50")
    await expect(line.get_by_test_id("line-list-price")).to_have_text("list $12.50")
    await expect(screen.get_by_test_id("draft-total")).to_have_text("$19.00")
    # The customer's default address is chosen.
    await expect(screen.get_by_test_id("shipping-choice")).to_be_checked()
    await no_sideways_scroll(screen)
    await shot("customer-draft")
    await screen.get_by_test_id("order-place").click()

    await expect(screen.get_by_test_id("flash")).to_have_text("Order placed.")
    item = screen.get_by_test_id("item-row")
    await expect(item.get_by_test_id("item-unit-price")).to_contain_text("$9.50")
    await expect(item.get_by_test_id("item-list-price")).to_have_text("list $12.50")
    await expect(item.get_by_test_id("item-line-total")).to_have_text("$19.00")
    await expect(screen.get_by_test_id("order-on-behalf-of")).to_have_text(customer["name"])
    await expect(screen.get_by_test_id("order-address")).to_contain_text("5 Market Street")
    number = await screen.get_by_test_id("order-number").inner_text()
    await no_sideways_scroll(screen)
    await shot("customer-order")

    await screen.get_by_test_id("order-customer-link").click()
    row = screen.get_by_test_id("customer-order-row")
    await expect(row).to_have_count(1)
    await expect(row).to_have_attribute("data-number", number)
    await shot("customer-page")
    await screen.get_by_test_id("customer-orders-all").click()
    await expect(screen.get_by_label("Customer", exact=True)).to_have_value(customer["id"])
    await expect(screen.get_by_test_id("order-row")).to_have_count(1)
    await expect(screen.get_by_test_id("order-customer")).to_have_text(customer["name"])
    await audit_descriptions(screen, base_url, [f"{number} placed by Ada Owner on behalf of {customer['name']}"])


@DESKTOP_ONLY
async def test_the_list_filters_by_status_finds_by_number_and_exports_what_it_shows(
    full_system: RunningSystem, owner: httpx.AsyncClient, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    product = await new_product(owner, sku=unique("JAM"), name="Apricot jam", unitPrice="4.00")
    await wait_until_orderable(owner, [product["id"]])
    first = await place(owner, product["id"], 1, poNumber="PO-FIRST")
    second = await place(owner, product["id"], 2)
    await place(owner, product["id"], 3)
    confirmed = await owner.post(f"/api/v1/orders/{second['id']}/status", json={"status": "CONFIRMED"})
    assert confirmed.status_code == 200, confirmed.text
    await sign_in(screen, base_url, await owner_email(owner))

    await screen.goto(f"{base_url}/dashboard/orders")
    rows = screen.get_by_test_id("order-row")
    await expect(rows).to_have_count(3)
    # Newest first.
    await expect(rows.first).to_have_attribute("data-number", "SO-000003")
    await expect(rows.first.get_by_test_id("order-customer")).to_have_text("Internal")
    await expect(rows.first.get_by_test_id("order-total")).to_have_text("$12.00")
    await no_sideways_scroll(screen)
    await shot("all")

    await screen.get_by_label("Status").select_option("CONFIRMED")
    await screen.get_by_test_id("orders-filter-submit").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-number", second["number"])
    await shot("confirmed")

    await screen.get_by_test_id("orders-filter-clear").click()
    await expect(rows).to_have_count(3)
    await screen.get_by_label("Search orders").fill(first["number"])
    await screen.get_by_test_id("orders-filter-submit").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-number", first["number"])
    await screen.get_by_label("Search orders").fill("PO-FIRST")
    await screen.get_by_test_id("orders-filter-submit").click()
    await expect(rows).to_have_count(1)
    await shot("found")

    # The export is of the filtered list: by status, one row under its header.
    await screen.goto(f"{base_url}/dashboard/orders?status=PENDING")
    await expect(rows).to_have_count(2)
    async with screen.expect_download() as downloading:
        await screen.get_by_test_id("orders-export").click()
    download = await downloading.value
    assert download.suggested_filename == "orders.csv"
    saved = await download.path()
    records = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    body = [" ".join(record) for record in records[1:]]
    assert len(body) == 2, records
    assert any("SO-000003" in record for record in body), records
    assert any(first["number"] in record for record in body), records
    assert not any(second["number"] in record for record in body), records


@DESKTOP_ONLY
async def test_an_order_is_cancelled_with_its_reason_and_a_step_taken_meanwhile_is_refused_in_place(
    full_system: RunningSystem, owner: httpx.AsyncClient, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    product = await new_product(owner, sku=unique("FLOUR"), name="Flour 25 kg", unitPrice="18.00")
    await wait_until_orderable(owner, [product["id"]])
    doomed = await place(owner, product["id"], 1)
    raced = await place(owner, product["id"], 1)
    await sign_in(screen, base_url, await owner_email(owner))

    await screen.goto(f"{base_url}/dashboard/orders/{doomed['id']}")
    panel = screen.get_by_test_id("order-status-panel")
    await panel.get_by_test_id("order-cancel").click()
    await panel.get_by_label("Reason (optional)").fill("Customer changed their mind")
    await shot("cancelling")
    await panel.get_by_test_id("order-cancel-submit").click()
    await expect(panel.get_by_test_id("flash")).to_have_text("Order cancelled.")
    await expect(screen.locator("h1").get_by_test_id("order-status")).to_have_attribute("data-status", "CANCELLED")
    cancelled = panel.get_by_test_id("history-row").last
    await expect(cancelled).to_have_attribute("data-status", "CANCELLED")
    await expect(cancelled.get_by_test_id("history-reason")).to_have_text("Customer changed their mind")
    await expect(panel.get_by_test_id("order-next-status")).to_have_count(0)
    await expect(panel.get_by_test_id("order-cancel")).to_have_count(0)
    await no_sideways_scroll(screen)
    await shot("cancelled")

    # Someone confirms the other order while this page still offers "Mark confirmed": the refusal shows here.
    await screen.goto(f"{base_url}/dashboard/orders/{raced['id']}")
    moved = await owner.post(f"/api/v1/orders/{raced['id']}/status", json={"status": "CONFIRMED"})
    assert moved.status_code == 200, moved.text
    async with screen.expect_response(lambda response: response.request.method == "POST") as answered:
        await panel.get_by_test_id("order-next-status").click()
    assert (await answered.value).status == 409
    await expect(panel.get_by_test_id("status-error")).to_contain_text("SHIPPED")
    await expect(panel.get_by_test_id("order-next-status")).to_have_text("Mark shipped")
    await no_sideways_scroll(screen)
    await shot("refused-in-place")

    await audit_descriptions(
        screen, base_url, [f"{doomed['number']} cancelled (was PENDING): “Customer changed their mind”"]
    )


@DESKTOP_ONLY
async def test_a_member_places_and_confirms_orders(
    full_system: RunningSystem, owner: httpx.AsyncClient, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    product = await new_product(owner, sku=unique("RICE"), name="Rice 10 kg", unitPrice="15.00")
    email = f"{unique('mona')}@example.com"
    invite = await owner.post("/api/v1/invites", json={"email": email, "role": "MEMBER"})
    assert invite.status_code == 201, invite.text
    async with httpx.AsyncClient(base_url=base_url) as member:
        accepted = await member.post(
            "/api/v1/invites/accept",
            json={"token": invite.json()["token"], "name": "Mona Member", "password": PASSWORD},
        )
        assert accepted.status_code == 200, accepted.text
    await wait_until_orderable(owner, [product["id"]])
    await sign_in(screen, base_url, email)

    await expect(screen.get_by_test_id("nav-orders")).to_be_visible()
    await screen.goto(f"{base_url}/dashboard/orders/new")
    await add_line(screen, product, 4)
    await screen.get_by_test_id("order-place").click()
    await expect(screen.get_by_test_id("flash")).to_have_text("Order placed.")
    await expect(screen.get_by_test_id("order-placed-by")).to_contain_text("Mona Member")
    await screen.get_by_test_id("order-next-status").click()
    await expect(screen.get_by_test_id("order-status-panel").get_by_test_id("flash")).to_have_text("Order confirmed.")
    await expect(screen.get_by_test_id("history-actor").last).to_have_text("Mona Member")
    await screen.goto(f"{base_url}/dashboard/orders")
    await expect(screen.get_by_test_id("order-row")).to_have_count(1)
    await no_sideways_scroll(screen)
    await shot("member-orders")
