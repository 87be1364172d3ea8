"""Dashboard pages for webhooks: the company's endpoints with their state and last delivery, adding one (its
signing secret shown once), and an endpoint's page with its settings, Test, Rotate secret and its deliveries,
each with every attempt made and a Retry."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, PageClient, id_or_404, problem
from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.forms import FormState, banner, go, page_status, submit, verified_form
from gateway.web.rendering import flash_messages, render

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "webhook-saved": ("success", "Webhook saved."),
        "webhook-enabled": ("success", "Webhook enabled. Its pending deliveries are sent again."),
        "webhook-disabled": ("success", "Webhook disabled. Its deliveries wait until you enable it again."),
        "webhook-deleted": ("success", "Webhook deleted, with its deliveries."),
        "webhook-test-sent": ("success", "Test event sent. Refresh to see its attempt."),
        "delivery-retried": ("success", "Delivery queued to be sent again now. Refresh to see the attempt."),
    }
)

WEBHOOKS_API = "/api/v1/webhooks"
DELIVERIES_PAGE_SIZE = 20
DELIVERY_STATUSES = ("PENDING", "SUCCEEDED", "FAILED")
EVERY_TYPE = "*"
# A checkbox per event type, named by this prefix and the type; "All events" is a checkbox of its own.
EVENT_FIELD_PREFIX = "event:"
ALL_EVENTS_FIELD = "all_events"
WEBHOOK_FIELDS = {"url": "url", "events": "events", "description": "description"}
NO_EVENT_TYPE = "Choose the event types to send, or All events."


def _webhook_path(webhook_id: str) -> str:
    return f"{WEBHOOKS_API}/{webhook_id}"


def _page_of(webhook_id: str, section: str = "") -> str:
    return f"/dashboard/webhooks/{webhook_id}" + (f"#{section}" if section else "")


def _deliveries_url(webhook_id: str, query: dict[str, str], *, anchor: bool = True) -> str:
    return _page_of(webhook_id) + (f"?{urlencode(query)}" if query else "") + ("#deliveries" if anchor else "")


def _form_values(form: dict[str, str]) -> dict[str, str]:
    """What the form posted, as it is shown again: the fields and the ticked boxes."""
    values = {"url": form.get("url", ""), "description": form.get("description", "")}
    ticked = {name: "on" for name in form if name.startswith(EVENT_FIELD_PREFIX) or name == ALL_EVENTS_FIELD}
    return {**values, **ticked}


def _chosen_events(values: dict[str, str]) -> list[str]:
    if values.get(ALL_EVENTS_FIELD):
        return [EVERY_TYPE]
    return [name[len(EVENT_FIELD_PREFIX) :] for name in values if name.startswith(EVENT_FIELD_PREFIX)]


def _values_of(webhook: dict[str, Any]) -> dict[str, str]:
    values = {"url": str(webhook["url"]), "description": str(webhook.get("description") or "")}
    events: list[str] = webhook["events"]
    if EVERY_TYPE in events:
        return {**values, ALL_EVENTS_FIELD: "on"}
    return {**values, **{EVENT_FIELD_PREFIX + name: "on" for name in events}}


def _with_events_error(errors: dict[str, str], events: list[str]) -> dict[str, str]:
    if not events:
        # The API's "at least 1 item" speaks of lists; the form has checkboxes.
        errors["events"] = NO_EVENT_TYPE
    return errors


def disabled_automatically(webhook: dict[str, Any]) -> bool:
    return not webhook["enabled"] and bool(webhook.get("disabledAutomatically"))


# -- the list, with the form that adds one ---------------------------------------------------------------


nav_entry(NavEntry("webhooks", "Webhooks", "/dashboard/webhooks", 45, needs=("GET", WEBHOOKS_API)))


@router.get("/dashboard/webhooks")
async def webhooks_page(request: Request) -> Response:
    client = await staff_client(request)
    return await _list_page(request, client, FormState({"description": ""}))


@router.post("/dashboard/webhooks")
async def create_webhook(request: Request) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    values = _form_values(form)
    events = _chosen_events(values)

    async def created(result: ApiResult) -> Response:
        # The secret exists only in this answer: the page shows it once, instead of redirecting.
        response = await _list_page(request, client, FormState({"description": ""}), created=result.body)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        errors = _with_events_error(errors, events)
        return await _list_page(request, client, FormState(values, errors, open=True), refused=result)

    body = {"url": values["url"], "events": events, "description": values["description"]}
    # No form key (replaying a double post's answer): that answer holds the secret, which is kept nowhere. A double
    # click still adds one: the page's script posts a form once (static/distribu.js).
    return await submit(client, "POST", WEBHOOKS_API, body, fields=WEBHOOK_FIELDS, success=created, refused=refused)


async def _list_page(
    request: Request,
    client: PageClient,
    new_webhook: FormState,
    *,
    refused: ApiResult | None = None,
    created: dict[str, Any] | None = None,
) -> Response:
    frame, listed, event_types = await asyncio.gather(
        dashboard_frame(request, client, "webhooks"),
        client.call("GET", WEBHOOKS_API),
        client.call("GET", f"{WEBHOOKS_API}/event-types"),
    )
    if isinstance(frame, Response):
        return frame
    for answer in (listed, event_types):
        if not answer.ok:
            # A MEMBER, or anyone whose role no longer allows it, gets the API's 403 as the error page.
            raise problem(answer)
    webhooks: list[dict[str, Any]] = listed.body["items"]
    context = {
        **frame,
        "webhooks": webhooks,
        "auto_disabled": [webhook for webhook in webhooks if disabled_automatically(webhook)],
        "event_types": event_types.body["items"],
        "event_prefix": EVENT_FIELD_PREFIX,
        "all_events_field": ALL_EVENTS_FIELD,
        "new_webhook": new_webhook,
        "error": banner(refused, new_webhook.errors) if refused is not None else None,
        "created": created,
    }
    status_code = page_status(refused.status) if refused is not None else 200
    return render(request, "webhooks.html", context, status_code=status_code)


# -- one endpoint: settings, actions, deliveries ---------------------------------------------------------


@router.get("/dashboard/webhooks/{webhook_id}")
async def webhook_page(request: Request, webhook_id: str) -> Response:
    client = await staff_client(request)
    return await _detail_page(request, client, id_or_404(webhook_id, "webhook"))


@router.post("/dashboard/webhooks/{webhook_id}")
async def save_webhook(request: Request, webhook_id: str) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    webhook_id = id_or_404(webhook_id, "webhook")
    values = _form_values(form)
    events = _chosen_events(values)

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        if result.status == 404:
            raise problem(result)
        errors = _with_events_error(errors, events)
        return await _detail_page(request, client, webhook_id, settings=FormState(values, errors), refused=result)

    body = {"url": values["url"], "events": events, "description": values["description"]}
    return await submit(
        client,
        "PATCH",
        _webhook_path(webhook_id),
        body,
        fields=WEBHOOK_FIELDS,
        success=go(_page_of(webhook_id, "settings"), "webhook-saved"),
        refused=refused,
    )


async def _switch(request: Request, webhook_id: str, *, enabled: bool) -> Response:
    await verified_form(request)
    client = await staff_client(request)
    webhook_id = id_or_404(webhook_id, "webhook")

    refused = _refused_on_detail(request, client, webhook_id)

    message = "webhook-enabled" if enabled else "webhook-disabled"
    return await submit(
        client,
        "PATCH",
        _webhook_path(webhook_id),
        {"enabled": enabled},
        success=go(_page_of(webhook_id), message),
        refused=refused,
    )


@router.post("/dashboard/webhooks/{webhook_id}/enable")
async def enable_webhook(request: Request, webhook_id: str) -> Response:
    return await _switch(request, webhook_id, enabled=True)


@router.post("/dashboard/webhooks/{webhook_id}/disable")
async def disable_webhook(request: Request, webhook_id: str) -> Response:
    return await _switch(request, webhook_id, enabled=False)


@router.post("/dashboard/webhooks/{webhook_id}/delete")
async def delete_webhook(request: Request, webhook_id: str) -> Response:
    await verified_form(request)
    client = await staff_client(request)
    webhook_id = id_or_404(webhook_id, "webhook")

    refused = _refused_on_detail(request, client, webhook_id)

    success = go("/dashboard/webhooks", "webhook-deleted")
    return await submit(client, "DELETE", _webhook_path(webhook_id), success=success, refused=refused)


@router.post("/dashboard/webhooks/{webhook_id}/rotate-secret")
async def rotate_secret(request: Request, webhook_id: str) -> Response:
    await verified_form(request)
    client = await staff_client(request)
    webhook_id = id_or_404(webhook_id, "webhook")

    async def rotated(result: ApiResult) -> Response:
        # As at creation, the new secret is only in this answer: shown once, never on a reload.
        response = await _detail_page(request, client, webhook_id, rotated=result.body)
        response.headers["Cache-Control"] = "no-store"
        return response

    refused = _refused_on_detail(request, client, webhook_id)

    path = f"{_webhook_path(webhook_id)}/rotate-secret"
    return await submit(client, "POST", path, success=rotated, refused=refused)


@router.post("/dashboard/webhooks/{webhook_id}/test")
async def send_test(request: Request, webhook_id: str) -> Response:
    await verified_form(request)
    client = await staff_client(request)
    webhook_id = id_or_404(webhook_id, "webhook")

    refused = _refused_on_detail(request, client, webhook_id)

    success = go(_page_of(webhook_id, "deliveries"), "webhook-test-sent")
    return await submit(client, "POST", f"{_webhook_path(webhook_id)}/test", success=success, refused=refused)


@router.post("/dashboard/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")
async def retry_delivery(request: Request, webhook_id: str, delivery_id: str) -> Response:
    await verified_form(request)
    client = await staff_client(request)
    webhook_id = id_or_404(webhook_id, "webhook")
    delivery_id = id_or_404(delivery_id, "delivery")

    refused = _refused_on_detail(request, client, webhook_id)

    path = f"{_webhook_path(webhook_id)}/deliveries/{delivery_id}/retry"
    success = go(_page_of(webhook_id, "deliveries"), "delivery-retried")
    return await submit(client, "POST", path, success=success, refused=refused)


def _refused_on_detail(
    request: Request, client: PageClient, webhook_id: str
) -> Callable[[ApiResult, dict[str, str]], Awaitable[Response]]:
    """What an action on one webhook shows when the API refuses it: the webhook's page with the refusal, or
    the 404 page when the webhook is gone (or another company's)."""

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        if result.status == 404:
            raise problem(result)
        return await _detail_page(request, client, webhook_id, refused=result)

    return refused


async def _detail_page(
    request: Request,
    client: PageClient,
    webhook_id: str,
    *,
    settings: FormState | None = None,
    refused: ApiResult | None = None,
    rotated: dict[str, Any] | None = None,
) -> Response:
    params = request.query_params
    status = params.get("status", "")
    status = status if status in DELIVERY_STATUSES else ""
    event_type = params.get("eventType", "").strip()
    cursor = params.get("cursor")
    filters = {key: value for key, value in (("status", status), ("eventType", event_type)) if value}
    query = {"limit": str(DELIVERIES_PAGE_SIZE), **filters, **({"cursor": cursor} if cursor else {})}
    path = _webhook_path(webhook_id)
    frame, found, event_types, deliveries = await asyncio.gather(
        dashboard_frame(request, client, "webhooks"),
        client.call("GET", path),
        client.call("GET", f"{WEBHOOKS_API}/event-types"),
        client.call("GET", f"{path}/deliveries", query=urlencode(query)),
    )
    if isinstance(frame, Response):
        return frame
    for answer in (found, event_types, deliveries):
        if not answer.ok:
            raise problem(answer)
    webhook: dict[str, Any] = found.body
    listed: list[dict[str, Any]] = deliveries.body["items"]
    # The list leaves out what each delivery sends; its own answer has it (a page's worth, at once).
    bodies = await asyncio.gather(*(client.call("GET", f"{path}/deliveries/{item['id']}") for item in listed))
    shown = [
        {**item, "body_json": json.dumps(detail.body.get("body"), indent=2, ensure_ascii=False) if detail.ok else None}
        for item, detail in zip(listed, bodies, strict=True)
    ]
    next_cursor = deliveries.body.get("nextCursor")
    settings = settings or FormState(_values_of(webhook))
    context = {
        **frame,
        "webhook": webhook,
        "event_types": event_types.body["items"],
        "event_prefix": EVENT_FIELD_PREFIX,
        "all_events_field": ALL_EVENTS_FIELD,
        "settings": settings,
        "deliveries": shown,
        "statuses": DELIVERY_STATUSES,
        "status_filter": status,
        "event_type_filter": event_type,
        "filtering": bool(filters),
        "first_page": cursor is None,
        "newest_url": _deliveries_url(webhook_id, filters),
        "next_url": _deliveries_url(webhook_id, {**filters, "cursor": next_cursor}) if next_cursor else None,
        # Attempts happen after the page is drawn: Refresh shows this same page of deliveries again. Without a
        # #fragment, for a link to the page's own URL and a fragment would only scroll, not load it again.
        "refresh_url": _deliveries_url(webhook_id, {**filters, **({"cursor": cursor} if cursor else {})}, anchor=False),
        "error": banner(refused, settings.errors) if refused is not None else None,
        "rotated": rotated,
    }
    status_code = page_status(refused.status) if refused is not None else 200
    return render(request, "webhook_detail.html", context, status_code=status_code)
