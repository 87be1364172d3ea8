"""The dashboard people don't trip on, seen in a real browser at desktop width and at 390 px (a phone).

Errors are pages in their area's frame (never raw JSON), an action's confirmation shows in the section where
it happened, refusals are in plain words, long names wrap, and a member sees the settings read-only. Each
test keeps screenshots under test-results/ui-dashboard/ to look at.
"""

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Page, expect

from tests.e2e.test_catalog_pages import new_customer, new_product, open_catalog, wait_until_priceable
from tests.support.api import PASSWORD
from tests.support.systems import RunningSystem

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "ui-dashboard"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
TOPBAR_HEIGHT = 60

Shot = Callable[[str], Awaitable[None]]


@pytest.fixture(params=list(WIDTHS))
async def screen(request: pytest.FixtureRequest, browser: Browser) -> AsyncIterator[Page]:
    width, height = WIDTHS[request.param]
    context = await browser.new_context(viewport={"width": width, "height": height})
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


async def _sign_up(page: Page, base_url: str, company: str) -> str:
    tag = uuid.uuid4().hex[:8]
    await page.goto(f"{base_url}/signup")
    await page.get_by_label("Company name").fill(f"{company} {tag}")
    await page.get_by_label("Your name").fill("Olive Owner")
    await page.get_by_label("Work email").fill(f"olive-{tag}@example.com")
    await page.get_by_label("Password").fill("a sturdy password")
    await page.get_by_test_id("signup-submit").click()
    await page.wait_for_url(f"{base_url}/dashboard")
    return f"{company.lower().replace(' ', '-')}-{tag}"


async def _new_customer(page: Page, base_url: str, name: str, email: str) -> str:
    await page.goto(f"{base_url}/dashboard/customers")
    form = page.get_by_test_id("new-customer-form")
    await form.get_by_label("Name").fill(name)
    await form.get_by_label("Email").fill(email)
    await page.get_by_test_id("customer-create").click()
    await expect(page.get_by_test_id("customer-name")).to_have_text(name)
    return page.url.split("#")[0]


async def _no_sideways_scroll(page: Page) -> None:
    """The page itself never scrolls sideways (tables scroll inside their own container)."""
    widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    wide = await page.evaluate(
        """[...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
          .filter(e => e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
          .map(e => e.tagName + '.' + e.className + '#' + (e.dataset.testid || ''))"""
    )
    assert widths[0] <= widths[1], (widths, wide[:8])


async def test_errors_are_pages_in_their_frame_and_a_form_address_reloads_to_its_page(
    full_system: RunningSystem, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    slug = await _sign_up(screen, base_url, "Frame Wholesale")
    # Every page of the dashboard fits its width; a table too wide for it scrolls inside its own container.
    for area in ("", "/customers", "/products", "/team", "/api-keys", "/audit-log", "/billing", "/settings"):
        opened = await screen.goto(f"{base_url}/dashboard{area}")
        assert opened is not None
        assert opened.status == 200
        await _no_sideways_scroll(screen)
        await shot("page" + (area.replace("/", "-") or "-overview"))

    unknown = await screen.goto(f"{base_url}/dashboard/no-such-page")
    assert unknown is not None
    assert unknown.status == 404
    assert unknown.headers["content-type"].startswith("text/html")
    await expect(screen.get_by_test_id("error-page")).to_contain_text("Page not found")
    await expect(screen.get_by_test_id("topbar-user")).to_be_attached()  # the dashboard's own frame
    await expect(screen.get_by_test_id("nav-customers")).to_be_visible()
    await _no_sideways_scroll(screen)
    await shot("dashboard-404")

    for path in ("wishlist", "catalog/not-a-product"):
        store_missing = await screen.goto(f"{base_url}/store/{slug}/{path}")
        assert store_missing is not None
        assert store_missing.status == 404
        assert store_missing.headers["content-type"].startswith("text/html")
        await expect(screen.get_by_test_id("error-page")).to_be_visible()
        # The storefront's own header, and a way back to its catalog.
        await expect(screen.get_by_test_id("store-home")).to_have_attribute("href", f"/store/{slug}")
    await _no_sideways_scroll(screen)
    await shot("store-404")
    # A storefront form's address opened directly is its page, not a 405.
    opened = await screen.goto(f"{base_url}/store/{slug}/contacts/{uuid.uuid4()}/role")
    assert opened is not None
    assert opened.status == 200
    assert screen.url.startswith(f"{base_url}/store/{slug}/")

    # A refused form is shown again at the form's address; opening that address again lands on its page.
    customer_url = await _new_customer(screen, base_url, "Reload Diner", f"reload-{slug}@example.com")
    panel = screen.get_by_test_id("contacts-panel")
    await panel.get_by_test_id("add-contact").click()
    await panel.get_by_label("Email").fill("not-an-email")
    await panel.get_by_test_id("contact-submit").click()
    await expect(panel.get_by_test_id("error-contact_email")).to_have_text(
        "Enter an email address like name@example.com."
    )
    assert screen.url.split("#")[0] == f"{customer_url}/contacts"
    await shot("plain-field-error")
    reloaded = await screen.goto(screen.url.split("#")[0])
    assert reloaded is not None
    assert reloaded.status == 200
    assert screen.url.split("#")[0] == customer_url
    await expect(screen.get_by_test_id("customer-name")).to_have_text("Reload Diner")


async def test_a_confirmation_shows_in_the_section_of_its_action_and_long_names_wrap(
    full_system: RunningSystem, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    slug = await _sign_up(screen, base_url, "Section Wholesale")
    long_name = "Supercalifragilisticexpialidocious" * 2 + "WholesaleDiner"
    long_email = f"{'very-long-mailbox-name-' * 3}{slug}@an-equally-long-domain-name.example"
    await _new_customer(screen, base_url, long_name, f"orders-{slug}@example.com")

    panel = screen.get_by_test_id("contacts-panel")
    await panel.get_by_test_id("add-contact").click()
    await panel.get_by_label("Email").fill(long_email)
    await panel.get_by_label("Role", exact=True).select_option("BUYER")
    await panel.get_by_test_id("contact-submit").click()

    # The message is in the Contacts section, the page scrolled to it, its heading below the sticky top bar.
    await expect(panel.get_by_test_id("flash")).to_contain_text("Contact added")
    await expect(screen.get_by_test_id("flash")).to_have_count(1)
    assert screen.url.endswith("#contacts")
    heading = await panel.get_by_role("heading", name="Contacts").bounding_box()
    assert heading is not None
    assert TOPBAR_HEIGHT <= heading["y"] < WIDTHS["desktop"][1], heading
    await expect(screen.get_by_test_id("customer-name")).to_have_text(long_name)
    name_box = await screen.get_by_test_id("customer-name").bounding_box()
    viewport = screen.viewport_size
    assert name_box is not None
    assert viewport is not None
    assert name_box["x"] + name_box["width"] <= viewport["width"], name_box
    await _no_sideways_scroll(screen)
    await shot("contact-added")

    row = panel.get_by_test_id("contact-row")
    await row.get_by_test_id("contact-role").select_option("VIEWER")
    await expect(panel.get_by_test_id("flash")).to_contain_text("Role changed")
    await expect(screen.get_by_test_id("flash")).to_have_count(1)
    assert screen.url.endswith("#contacts")
    await shot("role-changed")

    # A section's message is shown once: the next visit has none.
    await screen.reload()
    await expect(screen.get_by_test_id("flash")).to_have_count(0)


async def _accept(dialog: Dialog) -> None:
    await dialog.accept()


async def test_a_price_set_or_removed_is_confirmed_in_the_prices_section_in_plain_words(
    full_system: RunningSystem, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    async with httpx.AsyncClient(base_url=base_url) as owner:
        await open_catalog(owner)
        email = (await owner.get("/api/v1/me")).json()["user"]["email"]
        product = await new_product(owner, sku="TEA-1", name="Green tea", unitPrice="12.50")
        customer = await new_customer(owner, name="Corner Cafe")
        await wait_until_priceable(owner, customer["id"], product["id"])
    await screen.goto(f"{base_url}/login")
    await screen.get_by_label("Email").fill(email)
    await screen.get_by_label("Password").fill(PASSWORD)
    await screen.get_by_test_id("login-submit").click()
    await screen.wait_for_url(f"{base_url}/dashboard")

    await screen.goto(f"{base_url}/dashboard/customers/{customer['id']}")
    prices = screen.get_by_test_id("prices-panel")
    await prices.get_by_test_id("add-price").click()
    await prices.get_by_label("Their price").fill("12,50")
    await prices.get_by_test_id("price-submit").click()
    await expect(prices.get_by_test_id("error-price_unit_price")).to_contain_text("Enter a price like 12.50")
    await shot("price-refused")

    await prices.get_by_label("Their price").fill("9.50")
    await prices.get_by_test_id("price-submit").click()
    await expect(prices.get_by_test_id("flash")).to_contain_text("Price set.")
    await expect(screen.get_by_test_id("flash")).to_have_count(1)
    assert screen.url.endswith("#prices")
    heading = await prices.get_by_role("heading", name="Prices").bounding_box()
    assert heading is not None
    assert heading["y"] >= TOPBAR_HEIGHT, heading
    await _no_sideways_scroll(screen)
    await shot("price-set")

    screen.on("dialog", _accept)
    await prices.get_by_test_id("price-row").get_by_test_id("price-remove").click()
    await expect(prices.get_by_test_id("flash")).to_contain_text("Price removed.")
    await expect(prices.get_by_test_id("price-row")).to_have_count(0)
    await shot("price-removed")


async def test_a_member_sees_the_settings_read_only(
    full_system: RunningSystem, screen: Page, shot: Shot, browser: Browser
) -> None:
    base_url = full_system.base_url
    slug = await _sign_up(screen, base_url, "Member Wholesale")
    await screen.goto(f"{base_url}/dashboard/team")
    invite_form = screen.get_by_test_id("invite-form")
    # A refusal that starts with the email shows it as typed, not capitalised.
    owner_email = f"olive-{slug.rsplit('-', 1)[1]}@example.com"
    await invite_form.get_by_label("Email").fill(owner_email)
    await screen.get_by_test_id("invite-submit").click()
    await expect(screen.get_by_test_id("error-email")).to_have_text(f"{owner_email} is already a member of the team.")
    await _no_sideways_scroll(screen)
    await shot("invite-refused")
    await invite_form.get_by_label("Email").fill(f"mona-{slug}@example.com")
    await invite_form.get_by_label("Role").select_option("MEMBER")
    await screen.get_by_test_id("invite-submit").click()
    link = await screen.get_by_test_id("invite-link").input_value()

    # The owner's settings are forms.
    await screen.goto(f"{base_url}/dashboard/settings")
    await expect(screen.get_by_test_id("settings-form")).to_be_visible()
    await expect(screen.get_by_test_id("settings-readonly")).to_have_count(0)

    viewport = screen.viewport_size
    assert viewport is not None
    context = await browser.new_context(viewport=viewport)
    try:
        member = await context.new_page()
        member.set_default_timeout(15_000)
        await member.goto(link)
        await member.get_by_label("Your name").fill("Mona Member")
        await member.get_by_label("Password", exact=True).fill("another sturdy password")
        await member.get_by_label("Confirm password").fill("another sturdy password")
        await member.get_by_test_id("accept-submit").click()
        await member.wait_for_url(f"{base_url}/dashboard")

        await member.goto(f"{base_url}/dashboard/settings")
        await expect(member.get_by_test_id("settings-readonly")).to_be_visible()
        await expect(member.get_by_test_id("settings-store-address")).to_contain_text(f"/store/{slug}")
        await expect(member.get_by_test_id("settings-currency")).to_have_text("USD")
        await expect(member.locator("main form")).to_have_count(0)
        await expect(member.get_by_test_id("settings-form")).to_have_count(0)
        await _no_sideways_scroll(member)
        await member.screenshot(path=str(SHOTS / f"member-settings-{viewport['width']}.png"), full_page=True)
    finally:
        await context.close()


async def test_a_customer_email_typed_in_mixed_case_is_shown_as_typed(
    full_system: RunningSystem, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    slug = await _sign_up(screen, base_url, "Spelling Wholesale")
    email = f"Jane.Doe@{slug.title()}.Example"

    await _new_customer(screen, base_url, "Jane's Diner", email)

    await expect(screen.get_by_test_id("customer-email")).to_have_text(email)
    await screen.goto(f"{base_url}/dashboard/customers")
    await expect(screen.get_by_test_id("customer-row")).to_contain_text(email)
    await shot("email-as-typed")
