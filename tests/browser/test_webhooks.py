"""Webhooks in a real browser on the full topology (issue 14), at desktop width and at 390 px: an endpoint added
for a real receiver on 127.0.0.1, its secret shown once, Test sent, and the delivery with its attempt on the
endpoint's page; what reached the receiver verifies, with that secret, by the `standardwebhooks` package."""

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Route, expect
from playwright.async_api import Error as PlaywrightError

from tests.browser.support import accept_dialog, sign_up_in_browser
from tests.support.events import wait_until
from tests.support.systems import RunningSystem
from tests.webhooks.receiver import Received, Receiver

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "webhooks"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(WIDTHS))
async def screen(request: pytest.FixtureRequest, browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=WIDTHS[request.param])  # type: ignore[arg-type]
    page = await context.new_page()
    page.set_default_timeout(15_000)
    yield page
    await context.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


async def no_sideways_scroll(page: Page) -> None:
    widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


async def shot(page: Page, request: pytest.FixtureRequest, moment: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    await page.screenshot(path=str(SHOTS / f"{test}-{moment}.png"), full_page=True)


async def test_a_test_event_reaches_the_receiver_signed_and_its_attempt_shows_on_the_page(
    full_system: RunningSystem, screen: Page, receiver: Receiver, request: pytest.FixtureRequest
):
    page, base_url = screen, full_system.base_url
    await sign_up_in_browser(page, base_url, f"Hooks Wholesale {uuid.uuid4().hex[:8]}")

    await page.get_by_test_id("nav-webhooks").click()
    await page.wait_for_url(f"{base_url}/dashboard/webhooks")
    await expect(page.get_by_test_id("webhooks-empty")).to_be_visible()
    # The form offers every event type with its description.
    order_placed = page.get_by_test_id("event-OrderPlaced")
    await expect(order_placed).to_be_visible()
    await expect(page.get_by_test_id("event-types")).to_contain_text("WebhookTest")
    await no_sideways_scroll(page)

    url = receiver.url("/distribu")
    await page.get_by_label("Endpoint URL").fill(url)
    await order_placed.check()
    await page.get_by_label("Description (optional)").fill("ERP order sync")
    await page.get_by_test_id("webhook-submit").click()

    await expect(page.get_by_test_id("copy-hint")).to_contain_text("it will not be shown again")
    secret = await page.get_by_test_id("webhook-secret").input_value()
    assert secret.startswith("whsec_")
    row = page.locator(f'[data-testid="webhook-row"][data-url="{url}"]')
    await expect(row.get_by_test_id("webhook-event")).to_have_text(["OrderPlaced"])
    await expect(row.get_by_test_id("webhook-state")).to_have_text("Enabled")
    await expect(row.get_by_test_id("webhook-last-delivery")).to_have_text("None yet")
    await shot(page, request, "created")
    await no_sideways_scroll(page)

    # Reloading is a plain visit: it neither posts the form again nor shows the secret.
    await page.reload()
    await expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    assert secret not in await page.content()
    await expect(page.get_by_test_id("webhook-row")).to_have_count(1)

    await row.get_by_test_id("webhook-link").click()
    await expect(page.get_by_test_id("webhook-url")).to_have_text(url)
    await expect(page.get_by_test_id("deliveries-empty")).to_be_visible()
    await page.get_by_test_id("webhook-test").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("Test event sent")
    delivery = page.get_by_test_id("delivery")
    await expect(delivery).to_have_count(1)
    await expect(delivery.get_by_test_id("delivery-event-type")).to_have_text("WebhookTest")

    async def attempted() -> bool:
        # The attempt is made a moment after the page was drawn: Refresh until it shows.
        async with page.expect_navigation():
            await page.get_by_test_id("deliveries-refresh").click()
        return await delivery.get_by_test_id("attempt-status-code").count() > 0

    await wait_until(attempted, within=20, interval=0.2, what="the test delivery's attempt on the page")
    await expect(delivery.get_by_test_id("delivery-status")).to_have_text("Succeeded")
    await delivery.locator("summary").click()
    attempt = delivery.get_by_test_id("delivery-attempt")
    await expect(attempt).to_have_count(1)
    await expect(attempt.get_by_test_id("attempt-status-code")).to_have_text("200")
    await expect(attempt.get_by_test_id("attempt-duration")).to_contain_text("ms")
    await expect(attempt.get_by_test_id("attempt-request-headers")).to_contain_text("webhook-signature: v1,")
    await expect(attempt.get_by_test_id("attempt-response-body")).to_have_text("ok")
    await expect(delivery.get_by_test_id("delivery-body")).to_contain_text('"type": "WebhookTest"')
    await shot(page, request, "delivered")
    await no_sideways_scroll(page)

    # The receiver got exactly that delivery, and an independent verifier accepts its signature.
    [received] = receiver.at("/distribu")
    payload = received.verified(secret)
    assert isinstance(payload, dict)
    assert payload["type"] == "WebhookTest"
    assert received.webhook_id == await delivery.get_attribute("data-event-id")

    # The list shows the last delivery's outcome.
    await page.get_by_test_id("back-to-webhooks").click()
    await expect(row.get_by_test_id("webhook-last-status")).to_have_text("Succeeded")
    await expect(row.get_by_test_id("webhook-last-delivery")).to_contain_text("200")


async def test_rotating_shows_the_new_secret_once_and_deleting_asks_first(
    full_system: RunningSystem, page: Page, receiver: Receiver
):
    base_url = full_system.base_url
    await sign_up_in_browser(page, base_url, f"Rotate Wholesale {uuid.uuid4().hex[:8]}")
    await page.goto(f"{base_url}/dashboard/webhooks")

    # Nothing chosen to send: the form says so, and keeps what was typed.
    url = receiver.url("/rotating")
    await page.get_by_label("Endpoint URL").fill(url)
    await page.get_by_test_id("webhook-submit").click()
    await expect(page.get_by_test_id("error-events")).to_contain_text("Choose the event types")
    await expect(page.get_by_label("Endpoint URL")).to_have_value(url)

    await page.get_by_test_id("event-all").check()
    await page.get_by_test_id("webhook-submit").click()
    first = await page.get_by_test_id("webhook-secret").input_value()
    await page.get_by_test_id("webhook-created-link").click()

    page.once("dialog", accept_dialog)
    await page.get_by_test_id("webhook-rotate").click()
    await expect(page.get_by_test_id("webhook-rotated")).to_contain_text("signed with both secrets")
    second = await page.get_by_test_id("webhook-secret").input_value()
    assert second.startswith("whsec_")
    assert second != first
    await page.reload()
    await expect(page.get_by_test_id("webhook-secret")).to_have_count(0)

    # Sent after the rotation, the test event verifies with either secret for the next 24 hours.
    await page.get_by_test_id("webhook-test").click()
    # (All events: the webhook's own changes arrive there too.)
    received = await wait_until(lambda: _test_event(receiver, "/rotating"), within=20, what="the test delivery")
    assert received.verified(second)
    assert received.verified(first)

    page.once("dialog", accept_dialog)
    await page.get_by_test_id("webhook-disable").click()
    await expect(page.get_by_test_id("webhook-state")).to_have_text("Disabled")
    await expect(page.get_by_test_id("webhook-disabled-reason")).to_contain_text("Disabled by a user.")
    await page.get_by_test_id("webhook-enable").click()
    await expect(page.get_by_test_id("webhook-state")).to_have_text("Enabled")

    page.once("dialog", accept_dialog)
    await page.get_by_test_id("webhook-delete").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("Webhook deleted")
    await expect(page.get_by_test_id("webhooks-empty")).to_be_visible()


async def test_clicking_add_webhook_again_while_it_is_being_added_adds_one(
    full_system: RunningSystem, page: Page, receiver: Receiver
):
    """The page's script posts a form once: a second click while the first post is on its way sends nothing
    (this form has no form key to fall back on: its answer holds the secret, which is kept nowhere)."""
    base_url = full_system.base_url
    await sign_up_in_browser(page, base_url, f"Twice Wholesale {uuid.uuid4().hex[:8]}")
    await page.goto(f"{base_url}/dashboard/webhooks")
    posts: list[str] = []
    first_held, clicked_again = asyncio.Event(), asyncio.Event()

    async def hold_the_first_post(route: Route) -> None:
        # The first post waits here until the user has clicked again: a slow answer, made certain.
        if route.request.method == "POST":
            posts.append(route.request.url)
            if len(posts) == 1:
                first_held.set()
                await clicked_again.wait()
        with contextlib.suppress(PlaywrightError):  # a post the browser gave up on cannot go on
            await route.continue_()

    await page.route(f"{base_url}/dashboard/webhooks", hold_the_first_post)
    await page.get_by_label("Endpoint URL").fill(receiver.url("/twice"))
    await page.get_by_test_id("event-OrderPlaced").check()
    submit = page.get_by_test_id("webhook-submit")
    await submit.scroll_into_view_if_needed()
    box = await submit.bounding_box()
    assert box is not None
    # The mouse itself, twice: a locator's click would wait for the first post's page, which is the point.
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await page.mouse.click(x, y)
    async with asyncio.timeout(10):
        await first_held.wait()
    await page.mouse.click(x, y)
    clicked_again.set()

    await expect(page.get_by_test_id("webhook-secret")).to_be_visible()
    await page.unroute(f"{base_url}/dashboard/webhooks")
    await page.reload()
    await expect(page.get_by_test_id("webhook-row")).to_have_count(1)
    assert posts == [f"{base_url}/dashboard/webhooks"]


async def _test_event(receiver: Receiver, path: str) -> Received | None:
    tests = [received for received in receiver.at(path) if json.loads(received.body)["type"] == "WebhookTest"]
    assert len(tests) <= 1
    return tests[0] if tests else None
