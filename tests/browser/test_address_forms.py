"""Address forms laid out per country, and an address's removal confirmed where it happened, in a real browser at
desktop width and at 390 px (issue 11).

The form asks for the country first, then the fields in the order that country writes its addresses, in its terms
(Google's address metadata): Germany's postal code before its city and no region, Japan's postal code and
prefecture first. Changing the country lays the form out again without losing what was typed
(static/address-form.js); a refused form comes back laid out for the country posted. Screenshots are kept under
test-results/address-forms/ to look at.
"""

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Locator, Page, expect

from tests.e2e.test_storefront_pages import STORE_PASSWORD, Shop, add_contact, open_shop, set_password
from tests.support.api import PASSWORD
from tests.support.systems import RunningSystem

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "address-forms"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
TOPBAR_HEIGHT = 60

Shot = Callable[[str], Awaitable[None]]


@pytest.fixture(params=list(WIDTHS))
async def screen(request: pytest.FixtureRequest, browser: Browser) -> AsyncIterator[Page]:
    width, height = WIDTHS[request.param]
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    page.set_default_timeout(15_000)
    # A script the policy blocked, or one that failed, would leave the form as it was: both fail the test.
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    await context.close()
    assert problems == []


@pytest.fixture
def shot(request: pytest.FixtureRequest, screen: Page) -> Shot:
    """Saves a full-page screenshot named after the test, its width and the moment."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")

    async def take(moment: str) -> None:
        await screen.screenshot(path=str(SHOTS / f"{test}-{moment}.png"), full_page=True)

    return take


async def _accept(dialog: Dialog) -> None:
    await dialog.accept()


async def _shop(owner: httpx.AsyncClient) -> tuple[Shop, str]:
    """A company with one customer (the owner signed in on `owner`), and its owner's email."""
    shop = await open_shop(owner)
    email = (await owner.get("/api/v1/me")).json()["user"]["email"]
    return shop, email


async def _staff_sign_in(page: Page, base_url: str, email: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_url(f"{base_url}/dashboard")


async def _laid_out_for(form: Locator, country: str) -> None:
    """Chooses the country, then waits until the form follows it."""
    await form.get_by_test_id("field-country").select_option(country)
    await expect(form.locator("[data-address-form]")).to_have_attribute("data-laid-out-for", country)


async def _reads_before(form: Locator, first: str, second: str) -> None:
    """`first` comes before `second`: above it, or on the same row to its left (and so in tab order too)."""
    boxes = [await form.get_by_test_id(f"field-{name}").bounding_box() for name in (first, second)]
    one, two = boxes
    assert one is not None, first
    assert two is not None, second
    same_row = abs(one["y"] - two["y"]) < 2
    assert (one["y"] + one["height"] <= two["y"]) or (same_row and one["x"] < two["x"]), (first, one, second, two)
    in_order = await form.evaluate(
        "(form, [a, b]) => Boolean(form.querySelector(`#${a}`).compareDocumentPosition(form.querySelector(`#${b}`))"
        " & Node.DOCUMENT_POSITION_FOLLOWING)",
        [first, second],
    )
    assert in_order, (first, second)


async def _no_sideways_scroll(page: Page) -> None:
    widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


async def test_the_dashboard_address_form_follows_the_country_chosen(
    full_system: RunningSystem, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    async with httpx.AsyncClient(base_url=base_url) as owner:
        shop, email = await _shop(owner)
    await _staff_sign_in(screen, base_url, email)
    await screen.goto(f"{base_url}/dashboard/customers/{shop.customer['id']}#addresses")
    panel = screen.get_by_test_id("addresses-panel")
    await panel.get_by_test_id("add-address").click()
    form = panel.get_by_test_id("address-form")

    # Before a country is chosen: the generic labels, the country asked first.
    await _reads_before(form, "country", "line1")
    await expect(form.get_by_label("Region (optional)")).to_be_visible()
    await form.get_by_label("Address line 1").fill("Invalidenstraße 116")
    await form.get_by_label("City").fill("Berlin")
    await form.get_by_label("Postal code").fill("10115")

    # Germany: the postal code before the city, no region; what was typed stays.
    await _laid_out_for(form, "DE")
    await _reads_before(form, "line1", "postal_code")
    await _reads_before(form, "postal_code", "city")
    await expect(form.get_by_test_id("field-region")).to_be_hidden()
    await expect(form.get_by_test_id("field-city")).to_have_value("Berlin")
    await expect(form.get_by_test_id("field-postal_code")).to_have_value("10115")
    await expect(form.get_by_test_id("field-line1")).to_have_value("Invalidenstraße 116")
    await _no_sideways_scroll(screen)
    await shot("1-germany")

    # Japan: the postal code, then the prefecture, then the city and the street.
    await _laid_out_for(form, "JP")
    await expect(form.get_by_label("Prefecture")).to_be_visible()
    await expect(form.get_by_label("Postal code")).to_be_visible()
    await _reads_before(form, "postal_code", "region")
    await _reads_before(form, "region", "city")
    await _reads_before(form, "city", "line1")
    await shot("2-japan")

    # The United States: city, state and ZIP code.
    await _laid_out_for(form, "US")
    await expect(form.get_by_label("State")).to_be_visible()
    await expect(form.get_by_label("ZIP code")).to_be_visible()
    await _reads_before(form, "city", "region")
    await _reads_before(form, "region", "postal_code")

    await _laid_out_for(form, "DE")
    await form.get_by_test_id("address-submit").click()
    await expect(panel.get_by_test_id("flash")).to_have_text("Address added.")
    berlin = panel.get_by_test_id("address-row").filter(has_text="Invalidenstraße")
    await expect(berlin.get_by_test_id("address-text")).to_have_text(
        "Invalidenstraße 116\n10115 Berlin\nGermany", use_inner_text=True
    )
    await _no_sideways_scroll(screen)
    await shot("3-german-address-added")

    # Refused (no city): the form comes back from the server laid out for the country posted.
    await panel.get_by_test_id("add-address").click()
    await _laid_out_for(form, "DE")
    await form.get_by_label("Address line 1").fill("Unter den Linden 1")
    await form.get_by_label("Postal code").fill("10117")
    await form.get_by_test_id("address-submit").click()
    await expect(form.get_by_test_id("error-city")).to_be_visible()
    await expect(form.locator("[data-address-form]")).to_have_attribute("data-laid-out-for", "DE")
    await expect(form.get_by_test_id("field-country")).to_have_value("DE")
    await expect(form.get_by_test_id("field-line1")).to_have_value("Unter den Linden 1")
    await expect(form.get_by_test_id("field-region")).to_be_hidden()
    await _reads_before(form, "postal_code", "city")
    await shot("4-refused-still-german")

    # The address's own page lays out its form for the address's country.
    await screen.goto(f"{base_url}/dashboard/customers/{shop.customer['id']}#addresses")
    await berlin.get_by_test_id("address-edit").click()
    edit = screen.get_by_test_id("address-edit-form")
    await expect(edit.get_by_test_id("field-country")).to_have_value("DE")
    await expect(edit.get_by_test_id("field-region")).to_be_hidden()
    await _reads_before(edit, "postal_code", "city")
    await shot("5-edit-german-address")


async def test_a_removed_address_is_confirmed_in_the_addresses_section_in_view(
    full_system: RunningSystem, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    async with httpx.AsyncClient(base_url=base_url) as owner:
        shop, email = await _shop(owner)
        addresses = f"/api/v1/customers/{shop.customer['id']}/addresses"
        for line1, city in (("1 Main Street", "Springfield"), ("2 Side Street", "Shelbyville")):
            body = {"line1": line1, "city": city, "region": "IL", "postalCode": "62704", "country": "US"}
            answer = await owner.post(addresses, json=body)
            assert answer.status_code == 201, answer.text
    await _staff_sign_in(screen, base_url, email)
    await screen.goto(f"{base_url}/dashboard/customers/{shop.customer['id']}")

    panel = screen.get_by_test_id("addresses-panel")
    side_street = panel.get_by_test_id("address-row").filter(has_text="2 Side Street")
    screen.once("dialog", _accept)
    await side_street.get_by_test_id("address-delete").click()

    # The message is in the Addresses section, the page scrolled to it, its heading below the sticky top bar.
    await expect(panel.get_by_test_id("flash")).to_have_text("Address deleted.")
    await expect(screen.get_by_test_id("flash")).to_have_count(1)
    assert screen.url.endswith("#addresses")
    await expect(side_street).to_have_count(0)
    await expect(panel.get_by_test_id("address-row")).to_have_count(1)
    await expect(panel.get_by_test_id("flash")).to_be_in_viewport()
    heading = await panel.get_by_role("heading", name="Addresses").bounding_box()
    viewport = screen.viewport_size
    assert heading is not None
    assert viewport is not None
    assert TOPBAR_HEIGHT <= heading["y"] < viewport["height"], heading
    await _no_sideways_scroll(screen)
    await shot("address-deleted")


async def test_the_storefront_address_form_follows_the_country_and_confirms_a_removal_in_view(
    full_system: RunningSystem, screen: Page, shot: Shot
) -> None:
    base_url = full_system.base_url
    async with httpx.AsyncClient(base_url=base_url) as owner:
        shop, _ = await _shop(owner)
        admin = await add_contact(shop, "ADMIN", name="Ada Admin")
    await set_password(base_url, shop.slug, admin["email"])
    await screen.goto(f"{base_url}/store/{shop.slug}/login")
    await screen.get_by_label("Email").fill(admin["email"])
    await screen.get_by_label("Password").fill(STORE_PASSWORD)
    await screen.get_by_test_id("store-login-submit").click()
    await screen.wait_for_url(f"{base_url}/store/{shop.slug}/catalog")

    await screen.goto(f"{base_url}/store/{shop.slug}/addresses")
    await screen.get_by_test_id("address-add").locator("summary").click()
    form = screen.get_by_test_id("address-form")
    await form.get_by_label("Label (optional)").fill("Berlin depot")
    await form.get_by_label("Address line 1").fill("Invalidenstraße 116")
    await _laid_out_for(form, "DE")
    await _reads_before(form, "country", "line1")
    await _reads_before(form, "postal_code", "city")
    await expect(form.get_by_test_id("field-region")).to_be_hidden()
    await expect(form.get_by_test_id("field-label")).to_have_value("Berlin depot")
    await form.get_by_label("Postal code").fill("10115")
    await form.get_by_label("City").fill("Berlin")
    await _no_sideways_scroll(screen)
    await shot("1-storefront-germany")
    await screen.get_by_test_id("address-submit").click()
    await expect(screen.get_by_test_id("flash")).to_have_text("Address added.")
    rows = screen.get_by_test_id("address-row")
    await expect(rows.filter(has_text="Berlin depot").get_by_test_id("address-text")).to_have_text(
        "Invalidenstraße 116\n10115 Berlin\nGermany", use_inner_text=True
    )

    # Japan's prefecture and postal code, first.
    await screen.get_by_test_id("address-add").locator("summary").click()
    await _laid_out_for(form, "JP")
    await expect(form.get_by_label("Prefecture")).to_be_visible()
    await _reads_before(form, "postal_code", "region")
    await shot("2-storefront-japan")

    await screen.reload()
    screen.once("dialog", _accept)
    await rows.filter(has_text="Berlin depot").get_by_test_id("address-delete").click()
    flash = screen.get_by_test_id("flash")
    await expect(flash).to_have_text("Address deleted.")
    await expect(flash).to_be_in_viewport()
    await expect(rows).to_have_count(0)
    await _no_sideways_scroll(screen)
    await shot("3-storefront-address-deleted")
