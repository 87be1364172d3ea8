"""A distributor signs up in the browser, lands on the dashboard and finds CompanyCreated in the audit log."""

import uuid

from playwright.async_api import Page, expect

from tests.support.systems import RunningSystem


async def test_signup_lands_on_dashboard_and_audit_log_shows_company_created(full_system: RunningSystem, page: Page):
    tag = uuid.uuid4().hex[:8]
    company_name = f"Browser Wholesale {tag}"

    await page.goto(f"{full_system.base_url}/signup")
    await page.get_by_label("Company name").fill(company_name)
    await page.get_by_label("Your name").fill("Wendy Browser")
    await page.get_by_label("Work email").fill(f"wendy-{tag}@example.com")
    await page.get_by_label("Password").fill("a sturdy password")
    await page.get_by_test_id("signup-submit").click()

    await page.wait_for_url(f"{full_system.base_url}/dashboard")
    await expect(page.get_by_test_id("company-name")).to_have_text(company_name)
    await expect(page.get_by_test_id("storefront-url")).to_contain_text(f"/store/browser-wholesale-{tag}")
    await expect(page.get_by_test_id("trial-days-left")).to_contain_text("14")

    await page.get_by_role("link", name="Audit log").click()
    await page.wait_for_url(f"{full_system.base_url}/dashboard/audit-log")
    # Events reach the audit service asynchronously; reload until the entry is there.
    company_created = page.get_by_test_id("audit-action").filter(has_text="CompanyCreated")
    for _ in range(50):
        if await company_created.count():
            break
        await page.wait_for_timeout(200)
        await page.reload()
    await expect(company_created).to_have_count(1)


async def test_signup_form_shows_field_errors_and_keeps_input(full_system: RunningSystem, page: Page):
    await page.goto(f"{full_system.base_url}/signup")
    await page.get_by_label("Company name").fill("Half Filled Co")
    await page.get_by_label("Work email").fill("not-an-email")
    await page.get_by_label("Password").fill("short")
    await page.get_by_test_id("signup-submit").click()

    await expect(page.get_by_test_id("error-email")).to_be_visible()
    await expect(page.get_by_test_id("error-password")).to_be_visible()
    await expect(page.get_by_test_id("error-name")).to_be_visible()
    await expect(page.get_by_label("Company name")).to_have_value("Half Filled Co")
