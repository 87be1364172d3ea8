"""The storefront people don't trip on, in a real browser at desktop width and at 390 px (issue 11):

- at phone width a menu holds the catalog, the account and sign-out; signing in lands in the catalog, and the
  account page links to it;
- money reads as people write it (`$9.75`, `9,75 €`), and only a customer price below the list price strikes
  the list price through;
- addresses take their country from a picker of names and print in their country's order;
- an unknown storefront address is a page in the storefront's frame with a way back to its catalog.

Each step's screenshot is kept under test-results/ui-storefront/ (look at them).
"""

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_catalog_pages import new_contact, new_customer, new_product, open_catalog, wait_until_priceable
from tests.e2e.test_storefront_pages import STORE_PASSWORD, add_contact, open_shop, set_password
from tests.support.api import PASSWORD
from tests.support.events import wait_until
from tests.support.systems import RunningSystem

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "ui-storefront"
# One unbroken word, wider than a phone: it must wrap, not push the page sideways.
LONG_NAME = "Blue" + "Plate" * 14 + "Diner"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

Shot = Callable[[Page, str], Awaitable[None]]


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def screen(browser: Browser, width: str) -> AsyncIterator[Page]:
    """A fresh browser context at the test's width."""
    context = await browser.new_context(viewport=WIDTHS[width])  # type: ignore[arg-type]
    page = await context.new_page()
    page.set_default_timeout(15_000)
    yield page
    await context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest, width: str) -> Shot:
    """Saves a full-page screenshot as test-results/ui-storefront/<test>-<width>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = request.node.originalname.removeprefix("test_")[:60]

    async def take(page: Page, step: str) -> None:
        await page.screenshot(path=SCREENSHOTS / f"{test}-{width}-{step}.png", full_page=True)

    return take


async def fits_the_screen(page: Page) -> None:
    """Nothing pushes the page sideways (no horizontal scrolling of the whole page)."""
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


async def sign_in(page: Page, base: str, slug: str, email: str) -> None:
    await page.goto(f"{base}/store/{slug}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(STORE_PASSWORD)
    await page.get_by_test_id("store-login-submit").click()
    # A signed-in customer lands where they shop.
    await page.wait_for_url(f"{base}/store/{slug}/catalog")


async def test_the_storefront_menu_sign_in_landing_and_account_link(
    full_system: RunningSystem, screen: Page, width: str, shot: Shot
):
    base = full_system.base_url
    async with httpx.AsyncClient(base_url=base) as owner:
        company = await open_catalog(owner)
        slug = company["slug"]
        await new_product(owner, sku="OIL-5L", name="Olive oil, 5 l", unitPrice="12.50")
        await new_product(owner, sku="LONG-1", name=LONG_NAME, unitPrice="1.00")
        customer = await new_customer(owner, name=LONG_NAME)
        contact = await new_contact(owner, slug, customer)
    page = screen

    await sign_in(page, base, slug, contact["email"])
    await expect(page.get_by_test_id("catalog-grid")).to_be_visible()
    await shot(page, "1-catalog-after-sign-in")
    await fits_the_screen(page)

    menu = page.get_by_test_id("store-menu-toggle")
    if width == "phone":
        # The bar's inline links give way to the menu button; the menu holds catalog, account and sign-out.
        await expect(page.get_by_test_id("store-nav-catalog-link")).to_be_hidden()
        await expect(page.get_by_test_id("store-logout")).to_be_hidden()
        await expect(page.get_by_test_id("store-menu-catalog")).to_be_hidden()
        await menu.click()
        await expect(page.get_by_test_id("store-menu-catalog")).to_be_visible()
        await expect(page.get_by_test_id("store-menu-account")).to_be_visible()
        await expect(page.get_by_test_id("store-menu-logout")).to_be_visible()
        await shot(page, "2-menu-open")
        await fits_the_screen(page)
        await page.get_by_test_id("store-menu-account").click()
    else:
        await expect(menu).to_be_hidden()
        await expect(page.get_by_test_id("store-nav-catalog-link")).to_be_visible()
        await expect(page.get_by_test_id("store-logout")).to_be_visible()
        await page.get_by_test_id("store-account-name").click()
    await page.wait_for_url(f"{base}/store/{slug}/account")
    await expect(page.get_by_test_id("account-customer")).to_have_text(LONG_NAME)
    await shot(page, "3-account")
    await fits_the_screen(page)

    # The account page leads back to shopping.
    await page.get_by_test_id("account-catalog-link").click()
    await page.wait_for_url(f"{base}/store/{slug}/catalog")

    if width == "phone":
        await menu.click()
        await page.get_by_test_id("store-menu-logout").click()
    else:
        await page.get_by_test_id("store-logout").click()
    await page.wait_for_url(f"{base}/store/{slug}")
    await expect(page.get_by_test_id("flash")).to_have_text("You have signed out.")
    if width == "phone":
        await menu.click()
        await expect(page.get_by_test_id("store-menu-sign-in")).to_be_visible()
        await expect(page.get_by_test_id("store-menu-account")).to_have_count(0)
    else:
        await expect(page.get_by_test_id("store-sign-in")).to_be_visible()
    await shot(page, "4-signed-out")


async def test_money_reads_as_people_write_it_and_only_a_lower_price_strikes_the_list_price(
    full_system: RunningSystem, screen: Page, width: str, shot: Shot
):
    base = full_system.base_url
    page = screen
    async with httpx.AsyncClient(base_url=base) as owner:
        company = await open_catalog(owner)
        slug = company["slug"]
        oil = await new_product(owner, sku="OIL-5L", name="Olive oil, 5 l", unitPrice="12.50")
        wine = await new_product(owner, sku="WINE-1", name="Table wine", unitPrice="20.00")
        await new_product(owner, sku="SALT-1", name="Sea salt", unitPrice="1234.50")
        customer = await new_customer(owner, name="Blue Plate Diner")
        await wait_until_priceable(owner, customer["id"], oil["id"])
        for product, price in ((oil, "9.75"), (wine, "24.00")):
            body = {"customerId": customer["id"], "productId": product["id"], "unitPrice": price}
            assert (await owner.post("/api/v1/price-overrides", json=body)).status_code == 201
        contact = await new_contact(owner, slug, customer)

        await sign_in(page, base, slug, contact["email"])
        cards = page.get_by_test_id("catalog-product")
        oil_card = cards.filter(has_text="OIL-5L")
        wine_card = cards.filter(has_text="WINE-1")
        salt_card = cards.filter(has_text="SALT-1")
        # Lower than the list price: a discount, the list price struck through.
        await expect(oil_card.get_by_test_id("catalog-effective-price")).to_have_text("$9.75")
        await expect(oil_card.get_by_test_id("catalog-list-price")).to_have_text("$12.50")
        await expect(oil_card.locator("s")).to_be_visible()
        # Higher than the list price: their price, and no struck-through "discount".
        await expect(wine_card.get_by_test_id("catalog-effective-price")).to_have_text("$24.00")
        await expect(wine_card.get_by_test_id("catalog-your-price")).to_be_visible()
        await expect(wine_card.locator("s")).to_have_count(0)
        await expect(salt_card.get_by_test_id("catalog-effective-price")).to_have_text("$1,234.50")
        assert "USD" not in await page.locator("main").inner_text()
        await shot(page, "1-catalog-usd")
        await fits_the_screen(page)

        await wine_card.get_by_test_id("catalog-name").click()
        await expect(page.get_by_test_id("catalog-effective-price")).to_have_text("$24.00")
        await expect(page.locator("main s")).to_have_count(0)
        await shot(page, "2-product-above-list")

        # In euros, the amounts read the German way: "9,75 €".
        changed = await owner.patch("/api/v1/company", json={"currency": "EUR"})
        assert changed.status_code == 200, changed.text

    async def shows_euros() -> bool:
        await page.goto(f"{base}/store/{slug}/catalog")
        return "€" in await oil_card.get_by_test_id("catalog-effective-price").inner_text()

    await wait_until(shows_euros, what="the catalog to learn of the new currency")
    await expect(oil_card.get_by_test_id("catalog-effective-price")).to_have_text(re.compile(r"^9,75\s€$"))
    await expect(oil_card.get_by_test_id("catalog-list-price")).to_have_text(re.compile(r"^12,50\s€$"))
    await expect(salt_card.get_by_test_id("catalog-effective-price")).to_have_text(re.compile(r"^1\.234,50\s€$"))
    await shot(page, "3-catalog-eur")
    await fits_the_screen(page)


async def test_addresses_take_a_country_by_name_and_print_in_its_order(
    full_system: RunningSystem, screen: Page, width: str, shot: Shot
):
    base = full_system.base_url
    page = screen
    async with httpx.AsyncClient(base_url=base) as owner:
        shop = await open_shop(owner)
        admin = await add_contact(shop, "ADMIN", name="Ada Admin")
        owner_email = (await owner.get("/api/v1/me")).json()["user"]["email"]
    await set_password(base, shop.slug, admin["email"])

    await sign_in(page, base, shop.slug, admin["email"])
    await page.goto(f"{base}/store/{shop.slug}/addresses")
    form = page.get_by_test_id("address-form")
    await page.get_by_test_id("address-add").locator("summary").click()
    country = form.get_by_label("Country")
    await expect(country.locator("option", has_text="Germany")).to_have_count(1)
    await form.get_by_label("Label (optional)").fill("Berlin depot")
    await form.get_by_label("Address line 1").fill("Invalidenstraße 116")
    await form.get_by_label("City").fill("Berlin")
    await form.get_by_label("Postal code").fill("10115")
    await country.select_option(label="Germany")
    await shot(page, "1-storefront-form")
    await page.get_by_test_id("address-submit").click()
    await expect(page.get_by_test_id("flash")).to_have_text("Address added.")

    await page.get_by_test_id("address-add").locator("summary").click()
    await form.get_by_label("Label (optional)").fill("Springfield store")
    await form.get_by_label("Address line 1").fill("742 Evergreen Terrace")
    await form.get_by_label("City").fill("Springfield")
    await form.get_by_label("Region (optional)").fill("IL")
    await form.get_by_label("Postal code").fill("62704")
    await country.select_option(label="United States")
    await page.get_by_test_id("address-submit").click()
    await expect(page.get_by_test_id("flash")).to_have_text("Address added.")

    rows = page.get_by_test_id("address-row")
    # Germany: postal code before the city. The US: city, state and ZIP on one line.
    await expect(rows.filter(has_text="Berlin depot").get_by_test_id("address-text")).to_have_text(
        "Invalidenstraße 116\n10115 Berlin\nGermany", use_inner_text=True
    )
    await expect(rows.filter(has_text="Springfield store").get_by_test_id("address-text")).to_have_text(
        "742 Evergreen Terrace\nSpringfield, IL 62704\nUnited States", use_inner_text=True
    )
    await shot(page, "2-storefront-addresses")
    await fits_the_screen(page)

    await rows.filter(has_text="Berlin depot").get_by_test_id("address-edit").click()
    await expect(page.get_by_label("Country")).to_have_value("DE")
    await shot(page, "3-storefront-edit")

    # The dashboard's address form picks the country by name too.
    await page.goto(f"{base}/login")
    await page.get_by_label("Email").fill(owner_email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_url(f"{base}/dashboard")
    await page.goto(f"{base}/dashboard/customers/{shop.customer['id']}#addresses")
    panel = page.get_by_test_id("addresses-panel")
    await panel.get_by_test_id("add-address").click()
    dashboard_form = panel.get_by_test_id("address-form")
    await dashboard_form.get_by_label("Address line 1").fill("10 Downing Street")
    await dashboard_form.get_by_label("City").fill("London")
    await dashboard_form.get_by_label("Postal code").fill("SW1A 2AA")
    await dashboard_form.get_by_label("Country").select_option(label="United Kingdom")
    await shot(page, "4-dashboard-form")
    await dashboard_form.get_by_test_id("address-submit").click()
    london = panel.get_by_test_id("address-row").filter(has_text="Downing")
    await expect(london).to_have_count(1)
    await london.get_by_test_id("address-edit").click()
    await expect(page.get_by_label("Country")).to_have_value("GB")
    await shot(page, "5-dashboard-edit")
    await fits_the_screen(page)


async def test_an_unknown_storefront_address_is_a_page_in_the_storefront_frame(
    full_system: RunningSystem, screen: Page, width: str, shot: Shot
):
    base = full_system.base_url
    page = screen
    async with httpx.AsyncClient(base_url=base) as owner:
        company = await open_catalog(owner)
    slug = company["slug"]

    response = await page.goto(f"{base}/store/{slug}/no-such-page")
    assert response is not None
    assert response.status == 404
    assert (response.headers.get("content-type") or "").startswith("text/html")
    await expect(page.get_by_test_id("error-page")).to_be_visible()
    await expect(page.get_by_test_id("store-home")).to_have_text(company["name"])
    await shot(page, "1-not-found")
    await fits_the_screen(page)
    await page.get_by_test_id("error-back-to-catalog").click()
    await page.wait_for_url(f"{base}/store/{slug}/catalog")
