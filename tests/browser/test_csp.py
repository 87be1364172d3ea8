"""The pages under the Content-Security-Policy in a real Chromium: no violation, and their scripts still work.

Confirm dialogs, the role dropdowns' auto-submit, copy buttons and select-on-focus are bound from
/static/distribu.js by data attributes; a page that still needed inline script would log a violation
here and its button would do nothing. Screenshots land in test-results/ for review.
"""

import uuid
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page, Response, expect

from tests.browser.support import sign_up_in_browser
from tests.browser.test_storefront_accounts import sign_in
from tests.e2e.test_storefront_pages import set_password
from tests.support.systems import RunningSystem

SCREENSHOTS = Path("test-results")

# Runs in every document before its own scripts, and reports to the test across navigations.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${location.pathname}: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile}:${event.lineNumber})`
  );
});
"""


class Violations:
    """Every CSP violation the pages report, and every console line Chromium logs about the policy."""

    def __init__(self) -> None:
        self.reported: list[str] = []
        self.console: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)


async def _context(browser: Browser, base_url: str, violations: Violations) -> BrowserContext:
    context = await browser.new_context(permissions=["clipboard-read", "clipboard-write"], base_url=base_url)
    await context.expose_binding("reportCspViolation", lambda _source, text: violations.reported.append(text))
    await context.add_init_script(REPORT_VIOLATIONS)
    return context


async def _page(context: BrowserContext, violations: Violations) -> Page:
    page = await context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", violations.on_console)
    return page


async def _shot(page: Page, name: str) -> None:
    # Playwright creates test-results/ if it is missing.
    await page.screenshot(path=str(SCREENSHOTS / f"csp-{name}.png"), full_page=True)


def _assert_policy(response: Response | None) -> None:
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


async def test_dashboard_storefront_and_docs_work_under_the_csp_without_violations(
    full_system: RunningSystem, browser: Browser
) -> None:
    base = full_system.base_url
    watched = Violations()
    tag = uuid.uuid4().hex[:8]
    context = await _context(browser, base, watched)
    try:
        page = await _page(context, watched)
        await sign_up_in_browser(page, base, f"Policy Wholesale {tag}")
        slug = f"policy-wholesale-{tag}"
        _assert_policy(await page.goto(f"{base}/dashboard"))
        await expect(page.get_by_test_id("nav-customers")).to_be_visible()
        await _shot(page, "dashboard")

        # A customer and a contact, through the dashboard's forms (each carries the session's CSRF token).
        await page.get_by_test_id("nav-customers").click()
        new_customer = page.get_by_test_id("new-customer-form")
        primary_email = f"orders-{tag}@policy.example"
        await new_customer.get_by_label("Name").fill("Policy Diner")
        await new_customer.get_by_label("Email").fill(primary_email)
        await page.get_by_test_id("customer-create").click()
        await expect(page.get_by_test_id("customer-name")).to_have_text("Policy Diner")
        customer_url = page.url
        panel = page.get_by_test_id("contacts-panel")
        await panel.get_by_test_id("add-contact").click()
        contact_email = f"clerk-{tag}@policy.example"
        await panel.get_by_label("Email").fill(contact_email)
        await panel.get_by_label("Role", exact=True).select_option("BUYER")
        await panel.get_by_test_id("contact-submit").click()
        await expect(page.get_by_test_id("flash")).to_contain_text("Contact added")
        row = panel.locator(f'[data-testid="contact-row"][data-email="{contact_email}"]')

        # data-autosubmit: choosing a role posts the form at once.
        await row.get_by_test_id("contact-role").select_option("VIEWER")
        await expect(page.get_by_test_id("flash")).to_contain_text("Role changed")
        await expect(row.get_by_test_id("contact-role")).to_have_value("VIEWER")
        await _shot(page, "customer-detail")

        # data-confirm: Cancel keeps the form unsent (click waits for any navigation it starts).
        asked: list[str] = []

        async def dismiss(dialog: Dialog) -> None:
            asked.append(dialog.message)
            await dialog.dismiss()

        page.once("dialog", dismiss)
        before = page.url
        await row.get_by_test_id("contact-remove").click()
        assert asked == [f"Remove {contact_email}? They will no longer be able to sign in."]
        assert page.url == before
        await page.reload()
        await expect(row).to_have_count(1)

        # API keys: the copy button and select-on-focus, and reloading the answer is a plain visit.
        await page.get_by_test_id("nav-api-keys").click()
        await page.get_by_label("Name").fill("ERP sync")
        await page.get_by_test_id("scope-orders-read").check()
        await page.get_by_test_id("api-key-submit").click()
        secret_field = page.get_by_test_id("api-key-secret")
        secret = await secret_field.input_value()
        await page.get_by_test_id("api-key-copy").click()
        await expect(page.get_by_test_id("api-key-copy")).to_have_text("Copied")
        assert await page.evaluate("navigator.clipboard.readText()") == secret
        await secret_field.focus()
        selected = await secret_field.evaluate("field => field.value.slice(field.selectionStart, field.selectionEnd)")
        assert selected == secret
        await _shot(page, "api-key-created")
        await page.reload()
        await expect(page.get_by_test_id("api-key-secret")).to_have_count(0)

        # Team: the invite link's copy button.
        await page.get_by_test_id("nav-team").click()
        invite_form = page.get_by_test_id("invite-form")
        await invite_form.get_by_label("Email").fill(f"mona-{tag}@policy.example")
        await page.get_by_test_id("invite-submit").click()
        link = await page.get_by_test_id("invite-link").input_value()
        await page.get_by_test_id("invite-link-copy").click()
        await expect(page.get_by_test_id("invite-link-copy")).to_have_text("Copied")
        assert await page.evaluate("navigator.clipboard.readText()") == link
        await _shot(page, "team-invite")

        # The customer signs in at the storefront in the same browser: the staff session stays usable.
        await set_password(base, slug, primary_email)
        _assert_policy(await page.goto(f"{base}/store/{slug}"))
        await _shot(page, "storefront-landing")
        await page.goto(f"{base}/store/{slug}/catalog")
        await sign_in(page, base, slug, primary_email)
        await _shot(page, "storefront-account")
        await page.goto(f"{base}/store/{slug}/contacts")
        store_row = page.locator(f'[data-testid="contact-row"][data-email="{contact_email}"]')
        await store_row.get_by_test_id("contact-role").select_option("BUYER")
        await expect(page.get_by_test_id("flash")).to_contain_text("Role changed")
        await expect(store_row.get_by_test_id("contact-role")).to_have_value("BUYER")
        await _shot(page, "storefront-contacts")

        # Back on the dashboard, a confirmed removal goes through with the staff session's token.
        await page.goto(customer_url)
        page.once("dialog", lambda dialog: dialog.accept())
        await row.get_by_test_id("contact-remove").click()
        await expect(page.get_by_test_id("flash")).to_contain_text("Contact removed")
        await expect(row).to_have_count(0)

        # Swagger UI renders from the gateway's own assets under the same policy.
        _assert_policy(await page.goto(f"{base}/api/docs"))
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Distribu API")
        # Opening an operation renders its parameters and example answers: still nothing inline.
        await page.locator(".opblock-summary").first.click()
        await expect(page.locator(".opblock-body").first).to_be_visible()
        await _shot(page, "api-docs")
    finally:
        await context.close()

    assert watched.reported == []
    assert watched.console == []


async def test_an_inline_script_is_refused_and_reported(full_system: RunningSystem, browser: Browser) -> None:
    """The watch above does see violations: an injected inline script does not run, and is reported."""
    watched = Violations()
    context = await _context(browser, full_system.base_url, watched)
    try:
        page = await _page(context, watched)
        await page.goto(f"{full_system.base_url}/login")
        # An inline script added to the document runs at once, unless the policy blocks it.
        ran = await page.evaluate(
            """() => {
                 document.addEventListener("securitypolicyviolation", () => { window.violationSeen = true; });
                 const script = document.createElement("script");
                 script.textContent = "window.injectedRan = true";
                 document.body.appendChild(script);
                 return window.injectedRan === true;
               }"""
        )
        assert ran is False
        await page.wait_for_function("window.violationSeen === true")
    finally:
        await context.close()

    assert any("script-src" in line for line in watched.reported)
