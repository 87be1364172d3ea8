"""The Contacts panel of a customer's dashboard page: add a contact, change its role inline, remove it."""

import uuid

from playwright.async_api import Page, expect

from tests.browser.support import accept_dialog, sign_up_in_browser
from tests.support.systems import RunningSystem


async def test_contacts_panel_adds_changes_role_and_removes_a_contact(full_system: RunningSystem, page: Page):
    base_url = full_system.base_url
    tag = uuid.uuid4().hex[:8]
    await sign_up_in_browser(page, base_url, f"Panel Wholesale {tag}")
    slug = f"panel-wholesale-{tag}"

    await page.get_by_test_id("nav-customers").click()
    await page.wait_for_url(f"{base_url}/dashboard/customers")
    new_customer = page.get_by_test_id("new-customer-form")
    await new_customer.get_by_label("Name").fill("Acme Diner")
    await new_customer.get_by_label("Email").fill(f"orders-{tag}@acme.example")
    await page.get_by_test_id("customer-create").click()
    await expect(page.get_by_test_id("customer-name")).to_have_text("Acme Diner")
    customer_url = page.url

    panel = page.get_by_test_id("contacts-panel")
    await expect(panel.get_by_role("heading", name="Contacts")).to_be_visible()
    await expect(panel.get_by_test_id("setup-link")).to_have_text(
        f"Contacts set their password at {base_url}/store/{slug}/setup-password"
    )
    primary = panel.get_by_test_id("contact-primary")
    await expect(primary).to_contain_text(f"orders-{tag}@acme.example")
    await expect(primary.get_by_test_id("primary-badge")).to_have_text("Primary")
    await expect(primary.get_by_test_id("contact-role-label")).to_have_text("ADMIN")
    await expect(primary.get_by_test_id("contact-remove")).to_have_count(0)

    # Add contact: the inline form opens from the panel header.
    await expect(panel.get_by_test_id("contact-form")).to_be_hidden()
    await panel.get_by_test_id("add-contact").click()
    contact_email = f"Billing-{tag}@Acme.example"
    await panel.get_by_label("Email").fill(contact_email)
    await panel.get_by_label("Name (optional)").fill("Bill Ing")
    await panel.get_by_label("Role", exact=True).select_option("BUYER")
    await panel.get_by_test_id("contact-submit").click()

    await expect(page.get_by_test_id("flash")).to_contain_text("Contact added")
    # Shown as typed, not lower-cased.
    row = panel.locator(f'[data-testid="contact-row"][data-email="{contact_email}"]')
    await expect(row).to_contain_text("Bill Ing")
    await expect(row.get_by_test_id("contact-role")).to_have_value("BUYER")
    await expect(row.get_by_test_id("contact-status")).to_have_text("Pending password")
    # The primary account comes first.
    await expect(panel.locator("tbody tr").first).to_have_attribute("data-testid", "contact-primary")

    # Changing the dropdown submits the change at once.
    await row.get_by_test_id("contact-role").select_option("VIEWER")
    await expect(page.get_by_test_id("flash")).to_contain_text("Role changed")
    await expect(row.get_by_test_id("contact-role")).to_have_value("VIEWER")
    await page.reload()
    await expect(row.get_by_test_id("contact-role")).to_have_value("VIEWER")

    await page.get_by_test_id("nav-audit-log").click()
    role_changed = page.get_by_test_id("audit-action").filter(has_text="CustomerContactRoleChanged")
    for _ in range(50):
        if await role_changed.count():
            break
        await page.wait_for_timeout(200)
        await page.reload()
    await expect(role_changed).to_have_count(1)

    # Remove asks for confirmation, then the contact is gone and the customer stays.
    await page.goto(customer_url)
    page.once("dialog", accept_dialog)
    await row.get_by_test_id("contact-remove").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("Contact removed")
    await expect(row).to_have_count(0)
    await expect(panel.get_by_test_id("contacts-empty")).to_be_visible()
    await expect(page.get_by_test_id("customer-name")).to_have_text("Acme Diner")
    await expect(panel.get_by_test_id("contact-primary")).to_be_visible()
    await page.get_by_test_id("back-to-customers").click()
    await expect(page.get_by_test_id("customer-row")).to_have_count(1)


async def test_contacts_panel_refuses_a_duplicate_email_inline_and_keeps_the_input(
    full_system: RunningSystem, page: Page
):
    base_url = full_system.base_url
    tag = uuid.uuid4().hex[:8]
    await sign_up_in_browser(page, base_url, f"Dupes Wholesale {tag}")
    await page.goto(f"{base_url}/dashboard/customers")
    form = page.get_by_test_id("new-customer-form")
    await form.get_by_label("Name").fill("Blue Plate Diner")
    await form.get_by_label("Email").fill(f"owner-{tag}@blueplate.example")
    await page.get_by_test_id("customer-create").click()
    panel = page.get_by_test_id("contacts-panel")

    await panel.get_by_test_id("add-contact").click()
    await panel.get_by_label("Email").fill(f"owner-{tag}@blueplate.example")
    await panel.get_by_label("Role", exact=True).select_option("VIEWER")
    await panel.get_by_test_id("contact-submit").click()

    await expect(panel.get_by_test_id("error-contact_email")).to_be_visible()
    await expect(panel.get_by_label("Email")).to_have_value(f"owner-{tag}@blueplate.example")
    await expect(panel.get_by_label("Role", exact=True)).to_have_value("VIEWER")
    await expect(panel.get_by_test_id("contact-row")).to_have_count(0)
