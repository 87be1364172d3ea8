"""Steps the browser tests share: signing a new company up through the pages, accepting confirm() dialogs."""

import uuid

from playwright.async_api import Dialog, Page


async def sign_up_in_browser(page: Page, base_url: str, company_name: str) -> None:
    """A new company through the signup page; `page` is then signed in as its owner on the dashboard."""
    tag = uuid.uuid4().hex[:8]
    await page.goto(f"{base_url}/signup")
    await page.get_by_label("Company name").fill(company_name)
    await page.get_by_label("Your name").fill("Olive Owner")
    await page.get_by_label("Work email").fill(f"olive-{tag}@example.com")
    await page.get_by_label("Password").fill("a sturdy password")
    await page.get_by_test_id("signup-submit").click()
    await page.wait_for_url(f"{base_url}/dashboard")


async def accept_dialog(dialog: Dialog) -> None:
    await dialog.accept()
