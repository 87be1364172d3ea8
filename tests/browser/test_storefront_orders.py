"""Ordering on the storefront in a real browser, at desktop width and at 390 px (issue 12):

- a BUYER contact adds products from the catalog grid and the product page (the answer shown in the product's
  card), changes a quantity in the cart, checks out at their own price to their default address, and sees the
  confirmation, the order and the history; a second contact of the customer sees the order and reorders it,
  told which line could not be added;
- a VIEWER sees the customer's orders but no cart, no add-to-cart and no Reorder, and the cart and checkout
  typed in are 403 pages in the storefront's frame;
- a price changed between the checkout page and placing says so, marks the line, and places nothing; placing
  again at the new total works.

Customers, contacts, addresses, products and prices are set up through the public API, as an integrator
would. Each step's screenshot is kept under test-results/storefront-orders/ (look at them).
"""

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.test_ui_storefront import fits_the_screen, sign_in
from tests.e2e.test_catalog_pages import new_customer, new_product, open_catalog, wait_until_priceable
from tests.e2e.test_storefront_pages import STORE_PASSWORD, set_password
from tests.support.api import send_csrf_token, unique
from tests.support.events import wait_until
from tests.support.systems import RunningSystem

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "storefront-orders"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# The first test shops through every page at both widths; the others check behaviour, once, at desktop width.
DESKTOP_ONLY = pytest.mark.parametrize("width", ["desktop"], indirect=True)
ADDRESS = {"label": "Dock 4", "line1": "1 Harbour Road", "city": "Springfield", "region": "IL", "postalCode": "62704"}
ORDER_NUMBER = re.compile(r"^SO-\d{6}$")
TIMES = "\u00d7"  # the multiplication sign of "Added 3 (times) Olive oil"

Shot = Callable[[Page, str], Awaitable[None]]


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def screens(browser: Browser, width: str) -> AsyncIterator[Callable[[], Awaitable[Page]]]:
    """Fresh browser contexts at the test's width, one per person signing in."""
    contexts = []

    async def open_one() -> Page:
        context = await browser.new_context(viewport=WIDTHS[width])  # type: ignore[arg-type]
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_one
    for context in contexts:
        await context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest, width: str) -> Shot:
    """Saves a full-page screenshot as test-results/storefront-orders/<test>-<width>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = request.node.originalname.removeprefix("test_")[:50]

    async def take(page: Page, step: str) -> None:
        await page.screenshot(path=SCREENSHOTS / f"{test}-{width}-{step}.png", full_page=True)

    return take


# -- set-up through the public API --------------------------------------------------------------------


@dataclass
class Shop:
    slug: str
    owner: httpx.AsyncClient
    customer: dict[str, Any]
    address: dict[str, Any]
    products: dict[str, dict[str, Any]]


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_contact(shop: Shop, role: str, name: str) -> str:
    """A contact of the shop's customer with their storefront password set; their email."""
    body = {"email": f"{unique(role.lower())}@example.com", "name": name, "role": role}
    contact = created(await shop.owner.post(f"/api/v1/customers/{shop.customer['id']}/contacts", json=body))
    await set_password(str(shop.owner.base_url), shop.slug, contact["email"])
    email: str = contact["email"]
    return email


@asynccontextmanager
async def storefront_api(base: str, slug: str, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """The storefront API signed in as `email`, as a script would use it (CSRF header included)."""
    async with httpx.AsyncClient(base_url=base) as client:
        login = await client.post(f"/store/{slug}/api/login", json={"email": email, "password": STORE_PASSWORD})
        assert login.status_code == 200, login.text
        send_csrf_token(client)
        yield client


async def open_shop(owner: httpx.AsyncClient, prices: dict[str, str], override: dict[str, str]) -> Shop:
    """A company with products (`prices` by SKU), one customer with an address and its own price for
    `override`'s SKUs."""
    slug = (await open_catalog(owner))["slug"]
    products = {
        sku: await new_product(owner, sku=sku, name=NAMES[sku], unitPrice=price, unitOfSale="case")
        for sku, price in prices.items()
    }
    customer = await new_customer(owner, name="Blue Plate Diner")
    await wait_until_priceable(owner, customer["id"], next(iter(products.values()))["id"])
    for sku, price in override.items():
        body = {"customerId": customer["id"], "productId": products[sku]["id"], "unitPrice": price}
        created(await owner.post("/api/v1/price-overrides", json=body))
    address = created(
        await owner.post(
            f"/api/v1/customers/{customer['id']}/addresses", json={**ADDRESS, "country": "US", "isDefault": True}
        )
    )
    return Shop(slug, owner, customer, address, products)


NAMES = {"OIL-5L": "Olive oil, 5 l", "WINE-1": "Table wine", "GLOVE-1": "Nitrile gloves"}


async def until_orders_can_take(shop: Shop, api: httpx.AsyncClient, expected: dict[str, str]) -> None:
    """Orders learns products, prices, customers and addresses from catalog's and identity's events: wait until
    its cart prices each SKU as `expected` and a checkout to the address is weighed (a wrong expected total is
    refused with 409, which places nothing), then leave the cart empty."""
    cart_path = f"/store/{shop.slug}/api/cart"
    for sku in expected:
        path = f"{cart_path}/items/{shop.products[sku]['id']}"

        async def known(path: str = path) -> bool:
            return (await api.put(path, json={"quantity": 1})).status_code == 200

        await wait_until(known, within=20, what=f"orders to know {sku}")

    async def priced() -> bool:
        lines = (await api.get(cart_path)).json()["items"]
        return {line["sku"]: line["unitPrice"] for line in lines} == expected

    await wait_until(priced, within=20, what="orders to price the cart at the customer's prices")
    probe = {"shippingAddressId": shop.address["id"], "expectedTotal": "0.00"}

    async def address_known() -> bool:
        return (await api.post(f"/store/{shop.slug}/api/orders", json=probe)).status_code == 409

    await wait_until(address_known, within=20, what="orders to know the customer's address")
    assert (await api.delete(cart_path)).status_code == 204


async def place_through_api(shop: Shop, api: httpx.AsyncClient, sku: str, quantity: int) -> dict[str, Any]:
    path = f"/store/{shop.slug}/api/cart/items/{shop.products[sku]['id']}"
    assert (await api.put(path, json={"quantity": quantity})).status_code == 200
    total = (await api.get(f"/store/{shop.slug}/api/cart")).json()["total"]
    body = {"shippingAddressId": shop.address["id"], "expectedTotal": total}
    return created(await api.post(f"/store/{shop.slug}/api/orders", json=body))


# -- steps in the browser -----------------------------------------------------------------------------


async def open_in_bar(page: Page, width: str, name: str) -> None:
    """Follows the bar's link `name` (cart, orders): inline on a wide screen, in the menu on a phone."""
    if width == "phone":
        await page.get_by_test_id("store-menu-toggle").click()
        await page.get_by_test_id(f"store-menu-{name}").click()
    else:
        await page.get_by_test_id(f"store-nav-{name}-link").click()


async def cart_count(page: Page, width: str) -> str | None:
    """The number of lines the bar's Cart link shows (in the menu, closed or open, on a phone)."""
    testid = "store-menu-cart-count" if width == "phone" else "store-cart-count"
    return await page.get_by_test_id(testid).text_content()


async def add_from_card(page: Page, sku: str, quantity: int) -> None:
    card = page.get_by_test_id("catalog-product").filter(has_text=sku)
    await card.get_by_test_id("add-to-cart-quantity").fill(str(quantity))
    await card.get_by_test_id("add-to-cart-submit").click()


# -- the tests ---------------------------------------------------------------------------------------


async def test_a_buyer_checks_out_at_their_price_and_a_colleague_sees_and_reorders_it(
    full_system: RunningSystem, screens: Callable[[], Awaitable[Page]], width: str, shot: Shot
):
    base = full_system.base_url
    async with httpx.AsyncClient(base_url=base) as owner:
        shop = await open_shop(owner, {"OIL-5L": "12.50", "WINE-1": "20.00"}, {"OIL-5L": "9.75"})
        buyer = await add_contact(shop, "BUYER", "Bo Buyer")
        colleague = await add_contact(shop, "BUYER", "Cy Colleague")
        async with storefront_api(base, shop.slug, buyer) as api:
            await until_orders_can_take(shop, api, {"OIL-5L": "9.75", "WINE-1": "20.00"})

        page = await screens()
        await sign_in(page, base, shop.slug, buyer)

        # From the catalog grid: the answer in the product's own card, the bar's cart count up.
        await add_from_card(page, "OIL-5L", 3)
        oil_card = page.get_by_test_id("catalog-product").filter(has_text="OIL-5L")
        await expect(oil_card.get_by_test_id("flash")).to_contain_text(f"Added 3 {TIMES} Olive oil, 5 l to your cart.")
        await expect(oil_card.get_by_test_id("flash")).to_be_in_viewport()
        # The answer's history entry is the catalog again: a reload shows it, and adds nothing more.
        await page.wait_for_url(f"{base}/store/{shop.slug}/catalog")
        await shot(page, "1-added-from-grid")
        await fits_the_screen(page)
        assert await cart_count(page, width) == "1"
        # Adding more of it adds to what the cart holds.
        await add_from_card(page, "OIL-5L", 1)
        await expect(oil_card.get_by_test_id("flash")).to_contain_text(f"Added 1 {TIMES} Olive oil, 5 l to your cart.")

        # From the product page.
        await page.get_by_test_id("catalog-product").filter(has_text="WINE-1").get_by_test_id("catalog-name").click()
        await page.get_by_test_id("add-to-cart-quantity").fill("2")
        await page.get_by_test_id("add-to-cart-submit").click()
        await expect(page.get_by_test_id("flash")).to_contain_text(f"Added 2 {TIMES} Table wine to your cart.")
        await shot(page, "2-added-from-product")
        await fits_the_screen(page)
        # A reload shows the product, and adds nothing more.
        await page.reload()
        await expect(page.get_by_test_id("flash")).to_have_count(0)

        await open_in_bar(page, width, "cart")
        await page.wait_for_url(f"{base}/store/{shop.slug}/cart")
        lines = page.get_by_test_id("cart-line")
        oil, wine = lines.filter(has_text="OIL-5L"), lines.filter(has_text="WINE-1")
        await expect(oil.get_by_test_id("cart-line-price")).to_have_text("$9.75")
        await expect(oil.locator("s")).to_have_text("$12.50")
        await expect(oil.get_by_test_id("cart-line-quantity")).to_have_value("4")
        await expect(oil.get_by_test_id("cart-line-total")).to_have_text("$39.00")
        await expect(wine.get_by_test_id("cart-line-total")).to_have_text("$40.00")
        await expect(page.get_by_test_id("cart-total")).to_have_text("$79.00")
        await wine.get_by_test_id("cart-line-quantity").fill("1")
        await wine.get_by_test_id("cart-line-update").click()
        await expect(page.get_by_test_id("flash")).to_have_text("Quantity changed.")
        await expect(page.get_by_test_id("cart-total")).to_have_text("$59.00")
        await shot(page, "3-cart")
        await fits_the_screen(page)

        await page.get_by_test_id("cart-checkout").click()
        await page.wait_for_url(f"{base}/store/{shop.slug}/checkout")
        await expect(page.get_by_test_id("checkout-address-choice")).to_be_checked()
        await expect(page.get_by_test_id("checkout-total")).to_have_text("$59.00")
        await page.get_by_label("PO number (optional)").fill("PO-4711")
        await page.get_by_label("Requested delivery date (optional)").fill("2030-01-15")
        await page.get_by_label("Notes (optional)").fill("Back door, before 10.")
        await shot(page, "4-checkout")
        await fits_the_screen(page)
        await page.get_by_test_id("checkout-submit").click()

        await expect(page.get_by_test_id("order-placed")).to_be_visible()
        number = await page.get_by_test_id("order-number").inner_text()
        assert ORDER_NUMBER.match(number), number
        await expect(page.get_by_test_id("order-total")).to_have_text("$59.00")
        await expect(page.get_by_test_id("order-address-text")).to_contain_text("1 Harbour Road")
        await shot(page, "5-confirmation")
        await fits_the_screen(page)
        # The cart was placed, so it is empty now.
        await expect(page.get_by_test_id("store-cart-count")).to_have_count(0)
        await expect(page.get_by_test_id("store-menu-cart-count")).to_have_count(0)

        await page.get_by_test_id("order-view").click()
        await expect(page.get_by_test_id("order-number")).to_have_text(f"Order {number}")
        await expect(page.get_by_test_id("order-status")).to_have_text("Pending")
        await expect(page.get_by_test_id("order-placed-by")).to_have_text("Bo Buyer")
        await expect(page.get_by_test_id("order-po")).to_have_text("PO-4711")
        await expect(page.get_by_test_id("order-delivery-date")).to_have_text("2030-01-15")
        await expect(page.get_by_test_id("order-notes")).to_have_text("Back door, before 10.")
        await expect(page.get_by_test_id("order-address-text")).to_have_text(
            "1 Harbour Road\nSpringfield, IL 62704\nUnited States", use_inner_text=True
        )
        ordered = page.get_by_test_id("order-line")
        await expect(ordered.filter(has_text="OIL-5L").get_by_test_id("order-line-price")).to_have_text("$9.75")
        await expect(ordered.filter(has_text="OIL-5L").get_by_test_id("order-line-quantity")).to_have_text("4")
        await expect(page.get_by_test_id("order-total")).to_have_text("$59.00")
        await expect(page.get_by_test_id("order-history-step")).to_have_count(1)
        await shot(page, "6-order")
        await fits_the_screen(page)

        await open_in_bar(page, width, "orders")
        await page.wait_for_url(f"{base}/store/{shop.slug}/orders")
        await expect(page.get_by_test_id("order-row")).to_have_count(1)
        await expect(page.get_by_test_id("order-number")).to_have_text(number)
        await shot(page, "7-history")
        await fits_the_screen(page)

        # Another contact of the same customer sees it; table wine is archived since, so Reorder leaves it out.
        archived = await owner.patch(f"/api/v1/products/{shop.products['WINE-1']['id']}", json={"status": "ARCHIVED"})
        assert archived.status_code == 200, archived.text
        async with storefront_api(base, shop.slug, colleague) as api:
            wine_path = f"/store/{shop.slug}/api/cart/items/{shop.products['WINE-1']['id']}"

            async def wine_refused() -> bool:
                return (await api.put(wine_path, json={"quantity": 1})).status_code == 422

            await wait_until(wine_refused, within=20, what="orders to learn the wine is archived")

        other = await screens()
        await sign_in(other, base, shop.slug, colleague)
        await open_in_bar(other, width, "orders")
        row = other.get_by_test_id("order-row")
        await expect(row.get_by_test_id("order-number")).to_have_text(number)
        await expect(row.get_by_test_id("order-placed-by")).to_have_text("by Bo Buyer")
        await row.get_by_test_id("order-number").click()
        await other.get_by_test_id("order-reorder").click()
        await other.wait_for_url(f"{base}/store/{shop.slug}/cart")
        await expect(other.get_by_test_id("flash")).to_contain_text("The order's lines are in your cart")
        await expect(other.get_by_test_id("reorder-skipped-line")).to_have_count(1)
        await expect(other.get_by_test_id("reorder-skipped-line")).to_contain_text("Table wine")
        await expect(other.get_by_test_id("cart-line")).to_have_count(1)
        await expect(other.get_by_test_id("cart-line").get_by_test_id("cart-line-quantity")).to_have_value("4")
        await shot(other, "8-reordered")
        await fits_the_screen(other)


@DESKTOP_ONLY
async def test_a_viewer_sees_the_orders_but_no_cart_and_the_cart_typed_in_is_a_403_page(
    full_system: RunningSystem, screens: Callable[[], Awaitable[Page]], width: str, shot: Shot
):
    base = full_system.base_url
    async with httpx.AsyncClient(base_url=base) as owner:
        shop = await open_shop(owner, {"OIL-5L": "12.50"}, {"OIL-5L": "9.75"})
        buyer = await add_contact(shop, "BUYER", "Bo Buyer")
        viewer = await add_contact(shop, "VIEWER", "Vi Viewer")
        async with storefront_api(base, shop.slug, buyer) as api:
            await until_orders_can_take(shop, api, {"OIL-5L": "9.75"})
            order = await place_through_api(shop, api, "OIL-5L", 2)

    page = await screens()
    await sign_in(page, base, shop.slug, viewer)
    await expect(page.get_by_test_id("catalog-product")).to_have_count(1)
    await expect(page.get_by_test_id("add-to-cart")).to_have_count(0)
    await expect(page.get_by_test_id("store-nav-cart-link")).to_have_count(0)
    await expect(page.get_by_test_id("store-menu-cart")).to_have_count(0)
    await shot(page, "1-catalog")
    await open_in_bar(page, width, "orders")
    await expect(page.get_by_test_id("order-number")).to_have_text(order["number"])
    await expect(page.get_by_test_id("orders-shop")).to_have_count(0)
    await shot(page, "2-orders")
    await fits_the_screen(page)
    await page.get_by_test_id("order-number").click()
    await expect(page.get_by_test_id("order-total")).to_have_text("$19.50")
    await expect(page.get_by_test_id("order-reorder")).to_have_count(0)

    for typed in ("cart", "checkout"):
        response = await page.goto(f"{base}/store/{shop.slug}/{typed}")
        assert response is not None
        assert response.status == 403
        await expect(page.get_by_test_id("error-page")).to_be_visible()
        await expect(page.get_by_test_id("store-home")).to_be_visible()
        await expect(page.get_by_test_id("error-detail")).to_contain_text("not place them")
    await shot(page, "3-cart-refused")
    await fits_the_screen(page)


@DESKTOP_ONLY
async def test_a_price_changed_before_placing_is_shown_and_nothing_is_ordered(
    full_system: RunningSystem, screens: Callable[[], Awaitable[Page]], width: str, shot: Shot
):
    base = full_system.base_url
    async with httpx.AsyncClient(base_url=base) as owner:
        shop = await open_shop(owner, {"GLOVE-1": "5.00", "OIL-5L": "12.50"}, {})
        buyer = await add_contact(shop, "BUYER", "Bo Buyer")
        async with storefront_api(base, shop.slug, buyer) as api:
            await until_orders_can_take(shop, api, {"GLOVE-1": "5.00", "OIL-5L": "12.50"})
            for sku, quantity in (("GLOVE-1", 2), ("OIL-5L", 1)):
                path = f"/store/{shop.slug}/api/cart/items/{shop.products[sku]['id']}"
                assert (await api.put(path, json={"quantity": quantity})).status_code == 200

            page = await screens()
            await sign_in(page, base, shop.slug, buyer)
            await page.goto(f"{base}/store/{shop.slug}/checkout")
            await expect(page.get_by_test_id("checkout-total")).to_have_text("$22.50")

            gloves = shop.products["GLOVE-1"]["id"]
            moved = await owner.patch(f"/api/v1/products/{gloves}", json={"unitPrice": "6.00"})
            assert moved.status_code == 200, moved.text

            async def repriced() -> bool:
                lines = (await api.get(f"/store/{shop.slug}/api/cart")).json()["items"]
                prices: dict[str, str] = {line["sku"]: line["unitPrice"] for line in lines}
                return prices["GLOVE-1"] == "6.00"

            await wait_until(repriced, within=20, what="orders to learn the new price")

        async with page.expect_response(f"{base}/store/{shop.slug}/checkout") as answer:
            await page.get_by_test_id("checkout-submit").click()
        assert (await answer.value).status == 409
        await expect(page.get_by_test_id("error-banner")).to_contain_text("Some prices changed")
        changed = page.locator("[data-testid=checkout-line][data-changed]")
        await expect(changed).to_have_count(1)
        await expect(changed).to_contain_text("Nitrile gloves")
        await expect(changed.get_by_test_id("checkout-line-changed")).to_have_text("Was $5.00, now $6.00")
        await expect(page.get_by_test_id("checkout-total")).to_have_text("$24.50")
        await shot(page, "1-prices-moved")
        await fits_the_screen(page)
        assert (await owner.get("/api/v1/orders")).json()["items"] == []

        # At the total now shown, the order goes through.
        await page.get_by_test_id("checkout-submit").click()
        await expect(page.get_by_test_id("order-placed")).to_be_visible()
        await expect(page.get_by_test_id("order-total")).to_have_text("$24.50")
        await shot(page, "2-placed-at-new-price")
        assert len((await owner.get("/api/v1/orders")).json()["items"]) == 1
