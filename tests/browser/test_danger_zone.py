"""The settings page's Danger zone: the owner deletes the company by typing its storefront address."""

import uuid
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from gateway.sessions import STAFF_COOKIE
from tests.browser.support import sign_up_in_browser
from tests.support.systems import RunningSystem


async def test_owner_deletes_the_company_after_typing_its_address_and_the_old_session_is_gone(
    full_system: RunningSystem, page: Page, tmp_path: Path
):
    base_url = full_system.base_url
    await sign_up_in_browser(page, base_url, f"Danger Wholesale {uuid.uuid4().hex[:8]}")
    await page.get_by_test_id("nav-settings").click()
    await page.wait_for_url(f"{base_url}/dashboard/settings")
    zone = page.get_by_test_id("danger-zone")
    await expect(zone).to_contain_text("This cannot be undone.")
    slug = await page.get_by_test_id("field-slug").input_value()
    [session] = [cookie["value"] for cookie in await page.context.cookies() if cookie["name"] == STAFF_COOKIE]

    await zone.get_by_test_id("field-confirm_slug").fill(f"{slug}-typo")
    await zone.get_by_test_id("delete-company-submit").click()
    await expect(page.get_by_test_id("error-confirm_slug")).to_be_visible()
    await expect(page.get_by_test_id("field-confirm_slug")).to_have_value(f"{slug}-typo")
    await expect(page.get_by_test_id("error-banner")).to_be_visible()
    await page.screenshot(path=tmp_path / "danger-zone-wrong-slug.png", full_page=True)
    # Still there, still signed in.
    async with httpx.AsyncClient(base_url=base_url, cookies={STAFF_COOKIE: session}) as old_session:
        assert (await old_session.get("/api/v1/company")).json()["slug"] == slug

    await page.get_by_test_id("field-confirm_slug").fill(slug)
    await page.get_by_test_id("delete-company-submit").click()
    await page.wait_for_url(f"{base_url}/login")
    await expect(page.get_by_test_id("flash")).to_contain_text("Your company has been deleted")
    await page.screenshot(path=tmp_path / "company-deleted.png", full_page=True)

    # The old session is gone on the server, not just forgotten by this browser.
    async with httpx.AsyncClient(base_url=base_url, cookies={STAFF_COOKIE: session}) as old_session:
        assert (await old_session.get("/api/v1/me")).status_code == 401
    await page.goto(f"{base_url}/dashboard")
    await page.wait_for_url(f"{base_url}/login?next=%2Fdashboard")
    async with httpx.AsyncClient(base_url=base_url) as visitor:
        assert (await visitor.get(f"/store/{slug}/api/products")).status_code == 404
