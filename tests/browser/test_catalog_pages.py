"""The catalog in a real browser: staff add a product and give a customer its own price from the dashboard; the
customer's contact sees that price in the storefront catalog, the list price struck through; a guest is asked to
sign in for prices."""

import re

import httpx
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_catalog_pages import (
    SIGN_IN_FOR_PRICES,
    new_contact,
    new_customer,
    new_product,
    open_catalog,
    wait_until_priceable,
)
from tests.e2e.test_storefront_pages import STORE_PASSWORD
from tests.support.api import PASSWORD
from tests.support.events import wait_until
from tests.support.systems import RunningSystem


async def sign_in_to_dashboard(page: Page, base_url: str, email: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_url(f"{base_url}/dashboard")


async def test_a_customers_own_price_set_in_the_dashboard_is_what_its_contact_sees_in_the_catalog(
    full_system: RunningSystem, page: Page, browser: Browser
):
    base = full_system.base_url
    async with httpx.AsyncClient(base_url=base) as owner:
        company = await open_catalog(owner)
        slug = company["slug"]
        owner_email = (await owner.get("/api/v1/me")).json()["user"]["email"]
        await new_product(owner, sku="SALT-1", name="Sea salt", unitPrice="3.20", category="Pantry")
        customer = await new_customer(owner, name="Blue Plate Diner")
        contact = await new_contact(owner, slug, customer)

        # Staff add a product from the dashboard; it is in the list.
        await sign_in_to_dashboard(page, base, owner_email)
        await page.get_by_test_id("nav-products").click()
        await page.wait_for_url(f"{base}/dashboard/products")
        await page.get_by_test_id("product-new").click()
        await page.get_by_label("SKU").fill("OIL-5L")
        await page.get_by_label("Name", exact=True).fill("Olive oil, 5 l")
        await page.get_by_label("Description (optional)").fill("Cold pressed, from Crete.")
        await page.get_by_label("Unit price (USD)").fill("12.50")
        await page.get_by_label("Unit of sale").fill("can")
        await page.get_by_label("Category (optional)").fill("Pantry")
        await page.get_by_test_id("product-submit").click()
        await expect(page.get_by_test_id("flash")).to_have_text("Product added.")
        await expect(page.get_by_test_id("product-name")).to_have_text("Olive oil, 5 l")
        await page.screenshot(path="/tmp/catalog-product.png", full_page=True)
        await page.get_by_test_id("back-to-products").click()
        row = page.get_by_test_id("product-row").filter(has_text="OIL-5L")
        await expect(row.get_by_test_id("product-link")).to_have_text("Olive oil, 5 l")
        await expect(row.get_by_test_id("product-price")).to_have_text("$12.50")
        await expect(row.get_by_test_id("product-status")).to_have_text("Active")
        await page.screenshot(path="/tmp/catalog-products.png", full_page=True)
        oil_id = str(await row.get_by_test_id("product-link").get_attribute("href")).rsplit("/", 1)[-1]

        # The catalog hears of new customers from identity's events: wait until it takes a price for this one.
        await wait_until_priceable(owner, customer["id"], oil_id)

    # Their own price, from the customer's page.
    await page.goto(f"{base}/dashboard/customers/{customer['id']}")
    prices = page.get_by_test_id("prices-panel")
    await expect(prices.get_by_test_id("prices-empty")).to_be_visible()
    await prices.get_by_test_id("add-price").click()
    await prices.get_by_label("Product", exact=True).select_option(label="OIL-5L — Olive oil, 5 l (list $12.50)")
    await prices.get_by_label("Their price").fill("9.75")
    await prices.get_by_test_id("price-submit").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("Price set.")
    price_row = page.get_by_test_id("price-row").filter(has_text="OIL-5L")
    await expect(price_row.get_by_test_id("price-list")).to_have_text("$12.50")
    await expect(price_row.get_by_test_id("price-value")).to_have_value("9.75")
    await page.screenshot(path="/tmp/catalog-customer-prices.png", full_page=True)

    # A guest sees the products, but no prices.
    guest_context = await browser.new_context()
    try:
        guest = await guest_context.new_page()
        await guest.goto(f"{base}/store/{slug}")
        await guest.get_by_test_id("store-catalog-link").click()
        await guest.wait_for_url(f"{base}/store/{slug}/catalog")
        oil = guest.get_by_test_id("catalog-product").filter(has_text="OIL-5L")
        await expect(oil.get_by_test_id("catalog-name")).to_have_text("Olive oil, 5 l")
        await expect(oil.get_by_test_id("catalog-unit")).to_have_text("per can")
        await expect(oil.get_by_test_id("catalog-category")).to_have_text("Pantry")
        sign_in_link = oil.get_by_test_id("catalog-sign-in-for-prices")
        await expect(sign_in_link).to_have_text(SIGN_IN_FOR_PRICES)
        await expect(oil.get_by_test_id("catalog-effective-price")).to_have_count(0)
        await guest.screenshot(path="/tmp/catalog-guest.png", full_page=True)

        # The contact signs in from there and comes back to the catalog, with their customer's prices.
        await sign_in_link.click()
        await guest.get_by_label("Email").fill(contact["email"])
        await guest.get_by_label("Password").fill(STORE_PASSWORD)
        await guest.get_by_test_id("store-login-submit").click()
        await guest.wait_for_url(f"{base}/store/{slug}/catalog")
        await expect(oil.get_by_test_id("catalog-effective-price")).to_have_text("$9.75")
        await expect(oil.locator("s")).to_have_text("$12.50")
        await expect(oil.get_by_test_id("catalog-your-price")).to_be_visible()
        salt = guest.get_by_test_id("catalog-product").filter(has_text="SALT-1")
        await expect(salt.get_by_test_id("catalog-effective-price")).to_have_text("$3.20")
        await expect(salt.locator("s")).to_have_count(0)
        await expect(guest.get_by_text(SIGN_IN_FOR_PRICES)).to_have_count(0)
        await guest.screenshot(path="/tmp/catalog-contact.png", full_page=True)

        await guest.get_by_test_id("field-category").select_option("Pantry")
        await expect(guest).to_have_url(re.compile(r"/catalog\?.*category=Pantry"))
        await oil.get_by_test_id("catalog-name").click()
        await expect(guest.get_by_test_id("catalog-description")).to_have_text("Cold pressed, from Crete.")
        await expect(guest.get_by_test_id("catalog-effective-price")).to_have_text("$9.75")
        await guest.screenshot(path="/tmp/catalog-product-detail.png", full_page=True)
    finally:
        await guest_context.close()


async def test_import_refusal_lists_each_bad_line_in_the_browser(full_system: RunningSystem, page: Page):
    base = full_system.base_url
    async with httpx.AsyncClient(base_url=base) as owner:
        await open_catalog(owner)
        owner_email = (await owner.get("/api/v1/me")).json()["user"]["email"]

    await sign_in_to_dashboard(page, base, owner_email)
    await page.goto(f"{base}/dashboard/products")
    await page.get_by_label("CSV file (UTF-8, up to 20 MB)").set_input_files(
        {"name": "products.csv", "mimeType": "text/csv", "buffer": b"sku,name,unitPrice\nA-1,Apple,1.00\nB-2,,x\n"}
    )
    await page.get_by_test_id("import-submit").click()
    await expect(page.get_by_test_id("import-errors")).to_contain_text("Nothing was imported")
    await expect(page.get_by_test_id("import-error").first).to_contain_text("line 3, ")
    await expect(page.get_by_test_id("products-empty")).to_be_visible()
    await page.screenshot(path="/tmp/catalog-import-refused.png", full_page=True)

    await page.get_by_label("CSV file (UTF-8, up to 20 MB)").set_input_files(
        {
            "name": "products.csv",
            "mimeType": "text/csv",
            "buffer": b"sku,name,unitPrice\nA-1,Apple,1.00\nB-2,Banana,2\n",
        }
    )
    await page.get_by_test_id("import-submit").click()
    await expect(page.get_by_test_id("import-created")).to_have_text("2")
    await expect(page.get_by_test_id("product-row")).to_have_count(2)
    # The answer's address is the plain list: reloading does not upload the file again.
    await expect(page).to_have_url(f"{base}/dashboard/products")


async def test_guests_see_list_prices_once_settings_allow_it(full_system: RunningSystem, page: Page, browser: Browser):
    base = full_system.base_url
    async with httpx.AsyncClient(base_url=base) as owner:
        company = await open_catalog(owner)
        owner_email = (await owner.get("/api/v1/me")).json()["user"]["email"]
        await new_product(owner, sku="OIL-5L", name="Olive oil", unitPrice="12.50")

    await sign_in_to_dashboard(page, base, owner_email)
    await page.get_by_test_id("nav-settings").click()
    storefront = page.get_by_test_id("storefront-settings")
    await expect(storefront.get_by_label("Currency")).to_have_value("USD")
    checkbox = storefront.get_by_label("Show prices to visitors who are not signed in")
    await expect(checkbox).not_to_be_checked()
    await storefront.get_by_label("Currency").fill("gbp")
    await checkbox.check()
    await storefront.get_by_test_id("storefront-settings-submit").click()
    await expect(page.get_by_test_id("flash")).to_have_text("Settings saved.")
    await expect(storefront.get_by_label("Currency")).to_have_value("GBP")
    await expect(checkbox).to_be_checked()
    await page.screenshot(path="/tmp/catalog-settings.png", full_page=True)

    guest_context = await browser.new_context()
    try:
        guest = await guest_context.new_page()
        oil = guest.get_by_test_id("catalog-product").filter(has_text="OIL-5L")

        async def shows_prices() -> bool:
            await guest.goto(f"{base}/store/{company['slug']}/catalog")
            return await oil.get_by_test_id("catalog-effective-price").count() == 1

        # The catalog applies the company's settings from identity's event, a moment later.
        await wait_until(shows_prices, what="the guest catalog to show prices")
        await expect(oil.get_by_test_id("catalog-effective-price")).to_have_text("£12.50")
        await expect(guest.get_by_text(SIGN_IN_FOR_PRICES)).to_have_count(0)
    finally:
        await guest_context.close()
