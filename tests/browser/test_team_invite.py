"""Inviting someone to the team: the owner copies the link once, the invitee joins from a second browser."""

import uuid

from playwright.async_api import Browser, Page, expect

from tests.browser.support import sign_up_in_browser
from tests.support.systems import RunningSystem


async def test_invited_member_joins_from_the_link_and_the_owner_sees_them(
    full_system: RunningSystem, page: Page, browser: Browser
):
    base_url = full_system.base_url
    tag = uuid.uuid4().hex[:8]
    company_name = f"Team Wholesale {tag}"
    invitee_email = f"mona-{tag}@example.com"
    await sign_up_in_browser(page, base_url, company_name)

    await page.get_by_test_id("nav-team").click()
    await page.wait_for_url(f"{base_url}/dashboard/team")
    await expect(page.get_by_test_id("member-row")).to_have_count(1)
    await expect(page.get_by_test_id("invites-empty")).to_be_visible()
    invite_form = page.get_by_test_id("invite-form")
    await invite_form.get_by_label("Email").fill(invitee_email)
    await invite_form.get_by_label("Role").select_option("MEMBER")
    await page.get_by_test_id("invite-submit").click()

    await expect(page.get_by_test_id("invite-created")).to_contain_text(f"Invite link for {invitee_email}")
    await expect(page.get_by_test_id("copy-hint")).to_contain_text("Copy it now")
    link = await page.get_by_test_id("invite-link").input_value()
    assert link.startswith(f"{base_url}/invites/accept?token=")
    pending = page.locator(f'[data-testid="invite-row"][data-email="{invitee_email}"]')
    await expect(pending).to_contain_text("Member")
    # The link is shown once: reloading is a plain visit that neither shows it nor invites again.
    await page.reload()
    await expect(page.get_by_test_id("invite-created")).to_have_count(0)
    await expect(page.get_by_test_id("error-banner")).to_have_count(0)
    await expect(page.get_by_test_id("invite-row")).to_have_count(1)
    assert link not in await page.content()

    invitee_context = await browser.new_context()
    try:
        invitee = await invitee_context.new_page()
        invitee.set_default_timeout(15_000)
        await invitee.goto(link)
        await expect(invitee.get_by_test_id("invite-company")).to_have_text(f"Join {company_name}")
        await expect(invitee.get_by_test_id("invite-email")).to_have_text(invitee_email)
        await expect(invitee.get_by_test_id("invite-role")).to_have_text("Member")
        await invitee.get_by_label("Your name").fill("Mona Member")
        await invitee.get_by_label("Password", exact=True).fill("another sturdy password")
        await invitee.get_by_label("Confirm password").fill("another sturdy password")
        await invitee.get_by_test_id("accept-submit").click()

        await invitee.wait_for_url(f"{base_url}/dashboard")
        await expect(invitee.get_by_test_id("flash")).to_contain_text("You have joined the team")
        await expect(invitee.get_by_test_id("company-name")).to_have_text(company_name)
        await expect(invitee.get_by_test_id("topbar-user")).to_contain_text("Mona Member")
        await expect(invitee.get_by_test_id("topbar-user").locator(".badge")).to_have_text("Member")
        # Members do not manage the team: no nav entry, and the page itself is refused.
        await expect(invitee.get_by_test_id("nav-customers")).to_be_visible()
        await expect(invitee.get_by_test_id("nav-team")).to_have_count(0)
        await expect(invitee.get_by_test_id("nav-api-keys")).to_have_count(0)
        refused = await invitee.goto(f"{base_url}/dashboard/team")
        assert refused is not None
        assert refused.status == 403
        await expect(invitee.get_by_test_id("error-page")).to_be_visible()

        # The link worked once.
        await invitee.goto(link)
        await expect(invitee.get_by_test_id("invite-unusable")).to_contain_text(
            "invalid, has expired or was already used"
        )
    finally:
        await invitee_context.close()

    await page.reload()
    member = page.locator(f'[data-testid="member-row"][data-email="{invitee_email}"]')
    await expect(member).to_contain_text("Mona Member")
    await expect(member.get_by_test_id("member-role")).to_have_value("MEMBER")
    await expect(member.get_by_test_id("member-make-owner")).to_be_visible()
    await expect(page.get_by_test_id("invite-row")).to_have_count(0)


async def test_accept_page_checks_the_confirmation_and_keeps_the_name(full_system: RunningSystem, page: Page):
    base_url = full_system.base_url
    tag = uuid.uuid4().hex[:8]
    await sign_up_in_browser(page, base_url, f"Confirm Wholesale {tag}")
    await page.goto(f"{base_url}/dashboard/team")
    await page.get_by_test_id("invite-form").get_by_label("Email").fill(f"ada-{tag}@example.com")
    await page.get_by_test_id("invite-form").get_by_label("Role").select_option("ADMIN")
    await page.get_by_test_id("invite-submit").click()
    link = await page.get_by_test_id("invite-link").input_value()

    await page.goto(link)
    await expect(page.get_by_test_id("invite-role")).to_have_text("Admin")
    await page.get_by_label("Your name").fill("Ada Admin")
    await page.get_by_label("Password", exact=True).fill("one sturdy password")
    await page.get_by_label("Confirm password").fill("another password")
    await page.get_by_test_id("accept-submit").click()

    await expect(page.get_by_test_id("error-confirm_password")).to_have_text("The passwords do not match.")
    await expect(page.get_by_label("Your name")).to_have_value("Ada Admin")
    await expect(page.get_by_label("Password", exact=True)).to_have_value("")
