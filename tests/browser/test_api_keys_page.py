"""The API keys page: a new key's secret is shown once, then only its prefix; revoking removes it."""

import uuid

from playwright.async_api import Page, expect

from tests.browser.support import accept_dialog, sign_up_in_browser
from tests.support.systems import RunningSystem


async def test_api_key_secret_is_shown_once_and_the_key_can_be_revoked(full_system: RunningSystem, page: Page):
    base_url = full_system.base_url
    await sign_up_in_browser(page, base_url, f"Keys Wholesale {uuid.uuid4().hex[:8]}")

    await page.get_by_test_id("nav-api-keys").click()
    await page.wait_for_url(f"{base_url}/dashboard/api-keys")
    await expect(page.get_by_test_id("api-keys-empty")).to_be_visible()
    await page.get_by_label("Name").fill("ERP sync")
    await page.get_by_test_id("scope-catalog-read").check()
    await page.get_by_test_id("scope-orders-write").check()
    await page.get_by_test_id("api-key-submit").click()

    await expect(page.get_by_test_id("copy-hint")).to_contain_text("Copy this key now; it will not be shown again")
    secret = await page.get_by_test_id("api-key-secret").input_value()
    row = page.locator('[data-testid="api-key-row"][data-name="ERP sync"]')
    prefix = (await row.get_by_test_id("api-key-prefix").inner_text()).rstrip("…")
    assert len(secret) > len(prefix)
    assert secret.startswith(prefix)
    await expect(row.get_by_test_id("api-key-scope")).to_have_text(["catalog:read", "orders:write"])
    await expect(row.get_by_test_id("api-key-last-used")).to_have_text("Never")

    # Reloading is a plain visit: it neither posts the form again nor shows the secret.
    await page.reload()
    await expect(page.get_by_test_id("api-key-secret")).to_have_count(0)
    assert secret not in await page.content()
    await expect(page.get_by_test_id("api-key-row")).to_have_count(1)

    page.once("dialog", accept_dialog)
    await row.get_by_test_id("api-key-revoke").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("API key revoked")
    await expect(row).to_have_count(0)
    await expect(page.get_by_test_id("api-keys-empty")).to_be_visible()
