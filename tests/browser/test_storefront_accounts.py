"""Customers and contacts in a real browser: setting a password, signing in to the storefront, their account,
an admin managing contacts (with the change reaching the other person's next request), and signing out."""

import re

import httpx
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_storefront_pages import NO_PENDING_ACCOUNT, STORE_PASSWORD, add_contact, open_shop, set_password
from tests.support.api import unique
from tests.support.systems import RunningSystem


async def sign_in(page: Page, base_url: str, slug: str, email: str) -> None:
    await page.goto(f"{base_url}/store/{slug}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(STORE_PASSWORD)
    await page.get_by_test_id("store-login-submit").click()
    # A signed-in customer lands in the catalog; the account is a click away.
    await page.wait_for_url(f"{base_url}/store/{slug}/catalog")
    await page.get_by_test_id("store-account-name").click()
    await page.wait_for_url(f"{base_url}/store/{slug}/account")


async def test_a_contact_sets_a_password_signs_in_sees_the_account_and_signs_out(
    full_system: RunningSystem, page: Page
):
    base = full_system.base_url
    async with httpx.AsyncClient(base_url=base) as owner:
        shop = await open_shop(owner)
        buyer = await add_contact(shop, "BUYER", name="Bo Buyer")

    await page.goto(f"{base}/store/{shop.slug}")
    await page.get_by_test_id("store-login-link").click()
    await page.get_by_role("link", name="Set your password").click()
    await page.wait_for_url(f"{base}/store/{shop.slug}/setup-password")

    # Nobody pending under this email: the spec's words, exactly.
    await page.get_by_label("Email").fill(f"{unique('stranger')}@example.com")
    await page.get_by_label("Password", exact=True).fill(STORE_PASSWORD)
    await page.get_by_label("Confirm password").fill(STORE_PASSWORD)
    await page.get_by_test_id("setup-password-submit").click()
    await expect(page.get_by_test_id("error-email")).to_have_text(NO_PENDING_ACCOUNT)

    await page.get_by_label("Email").fill(buyer["email"])
    await page.get_by_label("Password", exact=True).fill(STORE_PASSWORD)
    await page.get_by_label("Confirm password").fill("something else entirely")
    await page.get_by_test_id("setup-password-submit").click()
    await expect(page.get_by_test_id("error-confirm_password")).to_have_text("The passwords do not match.")
    await expect(page.get_by_label("Email")).to_have_value(buyer["email"])

    await page.get_by_label("Password", exact=True).fill(STORE_PASSWORD)
    await page.get_by_label("Confirm password").fill(STORE_PASSWORD)
    await page.get_by_test_id("setup-password-submit").click()
    await page.wait_for_url(f"{base}/store/{shop.slug}/login")
    await expect(page.get_by_test_id("flash")).to_have_text("Your password is set. Sign in to continue.")

    await page.get_by_label("Email").fill(buyer["email"])
    await page.get_by_label("Password").fill("not my password")
    await page.get_by_test_id("store-login-submit").click()
    await expect(page.get_by_test_id("error-banner")).to_have_text("Email or password is incorrect.")
    await expect(page.get_by_label("Email")).to_have_value(buyer["email"])

    await page.get_by_label("Password").fill(STORE_PASSWORD)
    await page.get_by_test_id("store-login-submit").click()
    await page.wait_for_url(f"{base}/store/{shop.slug}/catalog")
    await page.get_by_test_id("store-account-name").click()
    await page.wait_for_url(f"{base}/store/{shop.slug}/account")
    await expect(page.get_by_test_id("account-customer")).to_have_text(shop.customer["name"])
    await expect(page.get_by_test_id("account-email")).to_have_text(buyer["email"])
    await expect(page.get_by_test_id("account-name")).to_have_text("Bo Buyer")
    await expect(page.get_by_test_id("account-role")).to_have_text("Buyer")
    await expect(page.get_by_test_id("store-account-role")).to_have_text("Buyer")
    await expect(page.get_by_test_id("store-nav-addresses")).to_be_visible()
    await expect(page.get_by_test_id("store-nav-contacts")).to_have_count(0)
    await page.screenshot(path="/tmp/storefront-account.png", full_page=True)

    await page.get_by_test_id("store-logout").click()
    await page.wait_for_url(f"{base}/store/{shop.slug}")
    await expect(page.get_by_test_id("flash")).to_have_text("You have signed out.")
    await expect(page.get_by_test_id("store-sign-in")).to_be_visible()
    await page.goto(f"{base}/store/{shop.slug}/account")
    await expect(page).to_have_url(re.compile(rf"/store/{shop.slug}/login\?next="))


async def test_an_admin_contact_adds_a_contact_and_changes_and_removes_another(
    full_system: RunningSystem, page: Page, browser: Browser
):
    base = full_system.base_url
    async with httpx.AsyncClient(base_url=base) as owner:
        shop = await open_shop(owner)
        admin = await add_contact(shop, "ADMIN", name="Ada Admin")
        buyer = await add_contact(shop, "BUYER", name="Bo Buyer")
    for person in (admin, buyer):
        await set_password(base, shop.slug, person["email"])

    # The buyer is signed in elsewhere, in a browser of their own.
    buyer_context = await browser.new_context()
    try:
        buyer_page = await buyer_context.new_page()
        await sign_in(buyer_page, base, shop.slug, buyer["email"])
        await expect(buyer_page.get_by_test_id("account-role")).to_have_text("Buyer")

        await sign_in(page, base, shop.slug, admin["email"])
        await expect(page.get_by_test_id("account-role")).to_have_text("Admin")
        await page.get_by_test_id("store-nav-contacts").click()
        await page.wait_for_url(f"{base}/store/{shop.slug}/contacts")

        newcomer = f"{unique('newcomer')}@example.com"
        await page.get_by_label("Email").fill(newcomer)
        await page.get_by_label("Name (optional)").fill("Nia Newcomer")
        await page.get_by_label("Role", exact=True).select_option("VIEWER")
        await page.get_by_test_id("contact-submit").click()
        await page.wait_for_url(f"{base}/store/{shop.slug}/contacts")
        await expect(page.get_by_test_id("flash")).to_contain_text("Contact added.")
        added = page.get_by_test_id("contact-row").filter(has_text=newcomer)
        await expect(added.get_by_test_id("contact-name")).to_have_text("Nia Newcomer")
        await expect(added.get_by_test_id("contact-role")).to_have_value("VIEWER")
        await expect(added.get_by_test_id("contact-status")).to_have_text("Pending")
        await page.screenshot(path="/tmp/storefront-contacts.png", full_page=True)

        # The dropdown submits itself; the buyer's next request carries the new role.
        buyer_row = page.get_by_test_id("contact-row").filter(has_text=buyer["email"])
        await buyer_row.get_by_test_id("contact-role").select_option("VIEWER")
        await expect(page.get_by_test_id("flash")).to_contain_text("Role changed.")
        await expect(buyer_row.get_by_test_id("contact-role")).to_have_value("VIEWER")
        await buyer_page.reload()
        await expect(buyer_page.get_by_test_id("account-role")).to_have_text("Viewer")

        page.once("dialog", lambda dialog: dialog.accept())
        await buyer_row.get_by_test_id("contact-remove").click()
        await expect(page.get_by_test_id("flash")).to_contain_text("Contact removed.")
        await expect(page.get_by_test_id("contact-row").filter(has_text=buyer["email"])).to_have_count(0)
        await buyer_page.reload()
        await expect(buyer_page).to_have_url(re.compile(rf"/store/{shop.slug}/login\?next="))
    finally:
        await buyer_context.close()


async def test_a_viewer_sees_no_contacts_link_and_gets_403_on_the_contacts_page(full_system: RunningSystem, page: Page):
    base = full_system.base_url
    async with httpx.AsyncClient(base_url=base) as owner:
        shop = await open_shop(owner)
        viewer = await add_contact(shop, "VIEWER", name="Vi Viewer")
    await set_password(base, shop.slug, viewer["email"])

    await sign_in(page, base, shop.slug, viewer["email"])
    await expect(page.get_by_test_id("account-role")).to_have_text("Viewer")
    await expect(page.get_by_test_id("store-nav-contacts")).to_have_count(0)
    await expect(page.get_by_test_id("account-contacts-link")).to_have_count(0)

    response = await page.goto(f"{base}/store/{shop.slug}/contacts")
    assert response is not None
    assert response.status == 403
    await expect(page.get_by_test_id("error-page")).to_be_visible()
    await expect(page.get_by_test_id("contacts-table")).to_have_count(0)
    await page.screenshot(path="/tmp/storefront-403.png", full_page=True)

    await page.get_by_test_id("store-nav-addresses").click()
    await expect(page.get_by_test_id("addresses-empty")).to_be_visible()
    await expect(page.get_by_test_id("address-form")).to_have_count(0)
