"""The dashboard's Billing page in a real browser: the owner of a trial company sees the trial and its usage, chooses
Growth with the company's billing details (refused first for a missing legal name, nothing changed), then updates
the details alone; an admin sees it all read-only; an ended trial says so first. Screenshots go to /tmp/billing-page/.
"""

import re
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from playwright.async_api import Browser, Locator, Page, expect
from sqlalchemy import select

from kit.db import Database, utcnow
from services.identity.models import Subscription
from tests.browser.support import sign_up_in_browser
from tests.browser.test_catalog_pages import sign_in_to_dashboard
from tests.e2e.system_state import database_urls
from tests.support.api import PASSWORD, sign_up
from tests.support.systems import RunningSystem

SHOTS = Path(tempfile.gettempdir()) / "billing-page"
GROWTH_PROFILE = {
    "legalName": "Billing Wholesale GmbH",
    "email": "accounts@billing-wholesale.example",
    "addressLine1": "Friedrichstraße 12",
    "city": "Berlin",
    "postalCode": "10117",
    "country": "DE",
    "taxId": "DE123456789",
}


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def no_sideways_scroll(page: Page) -> None:
    widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


def usage_row(page: Page, limit: str) -> Locator:
    return page.locator(f'[data-testid="usage-row"][data-limit="{limit}"]')


def plan_card(page: Page, code: str) -> Locator:
    return page.locator(f'[data-testid="plan-card"][data-plan="{code}"]')


async def test_owner_of_a_trial_company_chooses_growth_with_billing_details_then_changes_the_details_alone(
    full_system: RunningSystem, page: Page
) -> None:
    base_url = full_system.base_url
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_up_in_browser(page, base_url, f"Billing Wholesale {uuid.uuid4().hex[:8]}")
    await expect(page.get_by_test_id("billing-link")).to_have_text("Choose a plan in Billing →")

    await page.get_by_test_id("nav-billing").click()
    await page.wait_for_url(f"{base_url}/dashboard/billing")
    await expect(page.get_by_test_id("nav-billing")).to_have_class(re.compile(r"\bactive\b"))
    current = page.get_by_test_id("current-plan")
    await expect(current.get_by_test_id("plan-name")).to_have_text("Starter")
    await expect(current.get_by_test_id("subscription-status")).to_have_attribute("data-status", "TRIALING")
    await expect(current.get_by_test_id("plan-price")).to_have_text("$29.00 a month")
    await expect(current.get_by_test_id("trial-days-left")).to_have_text("14 days left in your trial")
    await expect(current.get_by_test_id("trial-ends")).to_contain_text("Your trial ends on ")
    await expect(usage_row(page, "maxOrdersPerMonth")).to_contain_text("Orders this month")
    await expect(usage_row(page, "maxOrdersPerMonth").get_by_test_id("usage-count")).to_have_text("0 of 200")
    await expect(usage_row(page, "maxTeamMembers").get_by_test_id("usage-count")).to_have_text("1 of 3")
    await expect(usage_row(page, "maxProducts").get_by_test_id("usage-count")).to_have_text("0 of 100")
    await expect(page.get_by_test_id("plan-card")).to_have_count(3)
    await expect(plan_card(page, "starter").get_by_test_id("plan-current")).to_have_text("Current plan")
    await expect(plan_card(page, "growth")).to_contain_text("$99.00 a month")
    await expect(plan_card(page, "growth")).to_contain_text("5,000 orders a month")
    await expect(plan_card(page, "scale")).to_contain_text("Unlimited products")
    await expect(page.get_by_test_id("plan-current")).to_have_count(1)
    await expect(page.get_by_role("radio", name="Choose Starter")).to_be_checked()
    await expect(page.get_by_test_id("billing-profile")).to_have_count(0)
    await expect(page.get_by_test_id("billing-readonly")).to_have_count(0)
    await expect(page.get_by_test_id("billing-details-submit")).to_have_count(0)
    await no_sideways_scroll(page)
    await shot(page, "owner-trial")

    # Growth, with every detail but the legal name: refused next to that field, the rest kept, nothing changed.
    form = page.get_by_test_id("billing-form")
    await page.get_by_role("radio", name="Choose Growth").check()
    await form.get_by_label("Billing email").fill(GROWTH_PROFILE["email"])
    await form.get_by_label("Country").select_option(GROWTH_PROFILE["country"])
    await expect(form.locator("[data-address-form]")).to_have_attribute("data-laid-out-for", "DE")
    await form.get_by_label("Address line 1").fill(GROWTH_PROFILE["addressLine1"])
    await form.get_by_label("Postal code").fill(GROWTH_PROFILE["postalCode"])
    await form.get_by_label("City").fill(GROWTH_PROFILE["city"])
    await form.get_by_label("Tax ID (optional)").fill(GROWTH_PROFILE["taxId"])
    async with page.expect_response(lambda response: response.request.method == "POST") as answered:
        await page.get_by_test_id("plan-submit").click()
    assert (await answered.value).status == 422
    await expect(page.get_by_test_id("error-legal_name")).to_be_visible()
    await expect(form.get_by_test_id("error-banner")).to_have_text("Please correct the fields marked below.")
    await expect(page.get_by_test_id("error-email")).to_have_count(0)
    await expect(form.get_by_label("Billing email")).to_have_value(GROWTH_PROFILE["email"])
    await expect(form.get_by_label("Country")).to_have_value("DE")
    await expect(form.get_by_label("City")).to_have_value(GROWTH_PROFILE["city"])
    await expect(page.get_by_role("radio", name="Choose Growth")).to_be_checked()
    await expect(current.get_by_test_id("plan-name")).to_have_text("Starter")
    await expect(current.get_by_test_id("subscription-status")).to_have_attribute("data-status", "TRIALING")
    await expect(page.get_by_test_id("billing-profile")).to_have_count(0)
    await shot(page, "owner-refused")

    await form.get_by_label("Legal name").fill(GROWTH_PROFILE["legalName"])
    await page.get_by_test_id("plan-submit").click()
    await page.wait_for_url(f"{base_url}/dashboard/billing#current-plan")
    await expect(current.get_by_test_id("flash")).to_contain_text("Plan saved")
    await expect(current.get_by_test_id("plan-name")).to_have_text("Growth")
    await expect(current.get_by_test_id("subscription-status")).to_have_attribute("data-status", "ACTIVE")
    await expect(current.get_by_test_id("subscription-status")).to_have_text("Active")
    await expect(current.get_by_test_id("trial-days-left")).to_have_count(0)
    await expect(usage_row(page, "maxOrdersPerMonth").get_by_test_id("usage-count")).to_have_text("0 of 5,000")
    await expect(plan_card(page, "growth").get_by_test_id("plan-current")).to_be_visible()
    profile = page.get_by_test_id("billing-profile")
    await expect(profile.get_by_test_id("billing-legal-name")).to_have_text(GROWTH_PROFILE["legalName"])
    await expect(profile.get_by_test_id("billing-email")).to_have_text(GROWTH_PROFILE["email"])
    await expect(profile.get_by_test_id("billing-address")).to_contain_text("10117 Berlin")
    await expect(profile.get_by_test_id("billing-address")).to_contain_text("Germany")
    await expect(profile.get_by_test_id("billing-tax-id")).to_have_text(GROWTH_PROFILE["taxId"])
    await expect(form.get_by_label("Legal name")).to_have_value(GROWTH_PROFILE["legalName"])
    await expect(page.get_by_role("radio", name="Stay on Growth")).to_be_checked()
    await no_sideways_scroll(page)
    await shot(page, "owner-growth")

    # The details alone: whatever plan is ticked, the company stays on the one it is on.
    await page.get_by_role("radio", name="Choose Scale").check()
    await form.get_by_label("Legal name").fill("Billing Wholesale AG")
    await page.get_by_test_id("billing-details-submit").click()
    await page.wait_for_url(f"{base_url}/dashboard/billing#current-plan")
    await expect(current.get_by_test_id("flash")).to_have_text("Billing details saved. Your plan stays as it was.")
    await expect(current.get_by_test_id("plan-name")).to_have_text("Growth")
    await expect(page.get_by_test_id("billing-legal-name")).to_have_text("Billing Wholesale AG")
    await expect(page.get_by_test_id("billing-email")).to_have_text(GROWTH_PROFILE["email"])

    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    await no_sideways_scroll(page)
    await shot(page, "owner-growth-phone")

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{base_url}/dashboard")
    await expect(page.get_by_test_id("billing-link")).to_have_text("Plans and billing details →")
    await expect(page.get_by_test_id("usage-billing-link")).to_have_attribute("href", "/dashboard/billing#plans")
    await shot(page, "overview-active")


async def test_an_admin_sees_the_plan_usage_and_billing_details_without_a_form(
    full_system: RunningSystem, browser: Browser
) -> None:
    base_url = full_system.base_url
    admin_email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    async with httpx.AsyncClient(base_url=base_url) as owner:
        await sign_up(owner)
        invite = await owner.post("/api/v1/invites", json={"email": admin_email, "role": "ADMIN"})
        assert invite.status_code == 201, invite.text
        async with httpx.AsyncClient(base_url=base_url) as invitee:
            accepted = await invitee.post(
                "/api/v1/invites/accept",
                json={"token": invite.json()["token"], "name": "Ada Admin", "password": PASSWORD},
            )
            assert accepted.status_code == 200, accepted.text

        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = await context.new_page()
            page.set_default_timeout(15_000)
            await sign_in_to_dashboard(page, base_url, admin_email)
            await page.get_by_test_id("nav-billing").click()
            await page.wait_for_url(f"{base_url}/dashboard/billing")

            await expect(page.get_by_test_id("billing-readonly")).to_contain_text("Only the owner can change the plan")
            await expect(page.get_by_test_id("plan-name")).to_have_text("Starter")
            await expect(page.get_by_test_id("trial-days-left")).to_have_text("14 days left in your trial")
            await expect(usage_row(page, "maxTeamMembers").get_by_test_id("usage-count")).to_have_text("2 of 3")
            await expect(page.get_by_test_id("plan-card")).to_have_count(3)
            await expect(page.get_by_test_id("plan-form")).to_have_count(0)
            await expect(page.get_by_role("radio")).to_have_count(0)
            await expect(page.get_by_test_id("billing-profile-missing")).to_be_visible()
            await shot(page, "admin-trial")
            # Posted anyway (the form is not offered), the API's refusal is the answer, as a page.
            token = await page.locator('input[name="csrf_token"]').first.input_value()
            posted = await page.request.post(
                f"{base_url}/dashboard/billing",
                form={"csrf_token": token, "plan_code": "scale", "legal_name": "Not The Owner Ltd"},
                max_redirects=0,
            )
            assert posted.status == 403
            assert "No access to this page" in await posted.text()

            chosen = await owner.post(
                "/api/v1/subscription", json={"planCode": "growth", "billingProfile": GROWTH_PROFILE}
            )
            assert chosen.status_code == 200, chosen.text
            await page.reload()
            await expect(page.get_by_test_id("plan-name")).to_have_text("Growth")
            await expect(page.get_by_test_id("subscription-status")).to_have_attribute("data-status", "ACTIVE")
            await expect(page.get_by_test_id("billing-legal-name")).to_have_text(GROWTH_PROFILE["legalName"])
            await expect(page.get_by_test_id("billing-address")).to_contain_text("Friedrichstraße 12")
            await expect(page.get_by_test_id("plan-form")).to_have_count(0)
            await expect(page.get_by_test_id("billing-profile-missing")).to_have_count(0)
            await no_sideways_scroll(page)
            await shot(page, "admin-growth")
        finally:
            await context.close()


async def test_an_ended_trial_is_the_first_thing_the_billing_page_says(full_system: RunningSystem, page: Page) -> None:
    base_url = full_system.base_url
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_up_in_browser(page, base_url, f"Lapsed Wholesale {uuid.uuid4().hex[:8]}")
    me = await page.request.get(f"{base_url}/api/v1/me")
    company_id = uuid.UUID((await me.json())["company"]["id"])
    # Fourteen days are not waited out: the trial's end is moved into the past, as identity's own tests do.
    identity = Database(database_urls(full_system)["identity"], pool_size=1)
    try:
        async with identity.sessionmaker() as session, session.begin():
            subscription = await session.scalar(select(Subscription).where(Subscription.company_id == company_id))
            assert subscription is not None
            subscription.trial_ends_at = utcnow() - timedelta(hours=1)
    finally:
        await identity.dispose()

    await page.goto(f"{base_url}/dashboard/billing")

    await expect(page.get_by_test_id("trial-ended")).to_contain_text(
        "Your trial has ended — choose a plan to take orders again."
    )
    await expect(page.get_by_test_id("subscription-status")).to_have_attribute("data-status", "EXPIRED")
    await expect(page.get_by_test_id("trial-ends")).to_contain_text("Your trial ended on ")
    await expect(page.get_by_test_id("trial-days-left")).to_have_count(0)
    await expect(page.get_by_test_id("plan-form")).to_be_visible()
    await shot(page, "owner-trial-ended")
