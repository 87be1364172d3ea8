"""The webhooks API: endpoints created, listed, edited, rotated and deleted; URLs the SSRF guard refuses are
422 at creation; event types checked against the list of every event Distribu emits; another company's
webhook and delivery ids are 404 on every route."""

import uuid

import pytest
from sqlalchemy import select

from contracts.event_types import EVENT_TYPES
from kit.context import Principal
from services.webhooks.endpoints.service import MAX_ENDPOINTS
from tests.conftest import context_headers
from tests.support.services import RunningService
from tests.webhooks.conftest import CompanyApi, all_finished
from tests.webhooks.receiver import Receiver

PUBLIC_URL = "https://hooks.example.com/distribu"


async def outbox_types(webhooks: RunningService, company_id: uuid.UUID) -> list[str]:
    outbox = webhooks.database.session_info["metadata"].tables["outbox"]
    async with webhooks.database.sessionmaker() as session:
        rows = await session.execute(
            select(outbox.c.payload).where(outbox.c.company_id.in_([company_id])).order_by(outbox.c.created_at)
        )
        return [payload["type"] for (payload,) in rows]


async def test_creating_answers_the_secret_once_and_records_an_event(
    company: CompanyApi, webhooks: RunningService
) -> None:
    created = await company.create(PUBLIC_URL, ["OrderPlaced", "CustomerCreated"], description="ERP")

    assert created["secret"].startswith("whsec_")
    assert (created["url"], created["events"], created["description"]) == (
        PUBLIC_URL,
        ["OrderPlaced", "CustomerCreated"],
        "ERP",
    )
    assert (created["enabled"], created["disabledReason"], created["lastDelivery"]) == (True, None, None)
    shown = await company.webhook(created["id"])
    assert "secret" not in shown
    listed = (await company.request("GET", "/api/v1/webhooks")).json()["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert await outbox_types(webhooks, company.company_id) == ["WebhookCreated"]


async def test_editing_changes_only_what_is_sent(company: CompanyApi, webhooks: RunningService) -> None:
    created = await company.create(PUBLIC_URL, ["OrderPlaced"])

    response = await company.request(
        "PATCH", f"/api/v1/webhooks/{created['id']}", json={"events": ["*"], "description": "All of it"}
    )

    assert response.status_code == 200, response.text
    assert (response.json()["url"], response.json()["events"], response.json()["description"]) == (
        PUBLIC_URL,
        ["*"],
        "All of it",
    )
    assert await outbox_types(webhooks, company.company_id) == ["WebhookCreated", "WebhookUpdated"]


async def test_disabling_and_enabling_by_hand(company: CompanyApi, webhooks: RunningService) -> None:
    created = await company.create(PUBLIC_URL)
    path = f"/api/v1/webhooks/{created['id']}"

    disabled = (await company.request("PATCH", path, json={"enabled": False})).json()
    enabled = (await company.request("PATCH", path, json={"enabled": True})).json()

    assert (disabled["enabled"], disabled["disabledReason"], disabled["disabledAutomatically"]) == (
        False,
        "Disabled by a user.",
        False,
    )
    assert (enabled["enabled"], enabled["disabledReason"], enabled["disabledAutomatically"]) == (True, None, False)
    assert await outbox_types(webhooks, company.company_id) == ["WebhookCreated", "WebhookDisabled", "WebhookEnabled"]


async def test_rotating_answers_a_new_secret_and_when_the_old_one_expires(company: CompanyApi) -> None:
    created = await company.create(PUBLIC_URL)

    response = await company.request("POST", f"/api/v1/webhooks/{created['id']}/rotate-secret")

    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    assert rotated["previousSecretExpiresAt"] > created["createdAt"]


async def test_deleting_removes_the_webhook(company: CompanyApi, webhooks: RunningService) -> None:
    created = await company.create(PUBLIC_URL)

    response = await company.request("DELETE", f"/api/v1/webhooks/{created['id']}")

    assert response.status_code == 204
    assert (await company.request("GET", f"/api/v1/webhooks/{created['id']}")).status_code == 404
    assert await outbox_types(webhooks, company.company_id) == ["WebhookCreated", "WebhookDeleted"]


async def test_the_event_type_list_names_every_type_with_a_description(company: CompanyApi) -> None:
    response = await company.request("GET", "/api/v1/webhooks/event-types")

    assert response.status_code == 200
    items = response.json()["items"]
    assert {item["type"]: item["description"] for item in items} == EVENT_TYPES
    assert all(item["description"] for item in items)


async def test_an_unknown_event_type_is_refused_by_name(company: CompanyApi) -> None:
    response = await company.request(
        "POST", "/api/v1/webhooks", json={"url": PUBLIC_URL, "events": ["OrderPlaced", "OrderTeleported"]}
    )

    assert response.status_code == 422
    assert "OrderTeleported" in response.json()["detail"]


async def test_a_company_has_at_most_20_webhooks(company: CompanyApi) -> None:
    for n in range(MAX_ENDPOINTS):
        await company.create(f"{PUBLIC_URL}/{n}")

    response = await company.request("POST", "/api/v1/webhooks", json={"url": PUBLIC_URL, "events": ["*"]})

    assert response.status_code == 409
    assert "at most 20" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "refused", "why"),
    [
        ("https://10.0.0.1/hook", "10.0.0.1", "private"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254", "metadata"),
        ("https://[::1]/hook", "::1", "loopback"),
        ("https://[::ffff:10.0.0.1]/hook", "10.0.0.1", "private"),
        ("https://[fe80::1]/hook", "fe80::1", "link-local"),
        ("https://100.64.0.1/hook", "100.64.0.1", "carrier-grade NAT"),
        ("https://[fd00:ec2::254]/", "fd00:ec2::254", "metadata"),
        ("https://0.0.0.0/", "0.0.0.0", "unspecified"),
        ("https://224.0.0.1/", "224.0.0.1", "multicast"),
    ],
)
async def test_a_literal_address_that_is_not_public_is_refused_at_creation(
    url: str, refused: str, why: str, company: CompanyApi
) -> None:
    # This module's service allows 127.0.0.0/8 only: test_ssrf.py checks loopback with the allow-list empty.
    response = await company.request("POST", "/api/v1/webhooks", json={"url": url, "events": ["*"]})

    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert refused in detail
    assert why in detail
    assert (await company.request("GET", "/api/v1/webhooks")).json()["items"] == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/", "must use https"),
        ("http://8.8.8.8/hook", "must use https"),
        ("ftp://hooks.example.com/", "starting with https://"),
        ("https://user:pass@hooks.example.com/", "user name or password"),
        ("hooks.example.com/path", "starting with https://"),
    ],
)
async def test_a_url_must_be_https_without_credentials(url: str, message: str, company: CompanyApi) -> None:
    response = await company.request("POST", "/api/v1/webhooks", json={"url": url, "events": ["*"]})

    assert response.status_code == 422
    assert message in response.json()["detail"]


async def test_http_to_an_allowed_literal_address_is_accepted(company: CompanyApi, receiver: Receiver) -> None:
    created = await company.create(receiver.url())

    assert created["url"].startswith("http://127.0.0.1:")


async def test_another_companys_webhook_and_delivery_ids_are_404_everywhere(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService
) -> None:
    webhook = await company.create(receiver.url())
    test = (await company.request("POST", f"/api/v1/webhooks/{webhook['id']}/test")).json()
    await company.wait_for_deliveries(webhook["id"], all_finished(1))
    other = CompanyApi(webhooks)
    own = await other.create(PUBLIC_URL)
    base = f"/api/v1/webhooks/{webhook['id']}"
    delivery = f"{base}/deliveries/{test['id']}"

    attempts = [
        ("GET", base, None),
        ("PATCH", base, {"description": "mine now"}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-secret", None),
        ("POST", f"{base}/test", None),
        ("GET", f"{base}/deliveries", None),
        ("GET", delivery, None),
        ("POST", f"{delivery}/retry", None),
        # Its delivery id under the other company's own webhook.
        ("GET", f"/api/v1/webhooks/{own['id']}/deliveries/{test['id']}", None),
        ("POST", f"/api/v1/webhooks/{own['id']}/deliveries/{test['id']}/retry", None),
    ]
    for method, path, body in attempts:
        response = await other.request(method, path, json=body)
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
    listed = (await other.request("GET", "/api/v1/webhooks")).json()["items"]
    assert [item["id"] for item in listed] == [own["id"]]
    assert (await company.webhook(webhook["id"]))["description"] == ""
    assert len(receiver.received) == 1


async def test_members_are_refused(webhooks: RunningService) -> None:
    member = Principal(type="user", id=uuid.uuid4(), role="MEMBER")
    headers = context_headers(webhooks.signer, "webhooks", company_id=uuid.uuid4(), principal=member)

    response = await webhooks.client.get("/api/v1/webhooks", headers=headers)

    assert response.status_code == 403


async def test_deliveries_filter_by_status_and_event_type(company: CompanyApi, receiver: Receiver) -> None:
    webhook = await company.create(receiver.url())
    for _ in range(3):
        assert (await company.request("POST", f"/api/v1/webhooks/{webhook['id']}/test")).status_code == 202
    await company.wait_for_deliveries(webhook["id"], all_finished(3))

    page = await company.request("GET", f"/api/v1/webhooks/{webhook['id']}/deliveries", params={"limit": "2"})
    assert len(page.json()["items"]) == 2
    rest = await company.request(
        "GET", f"/api/v1/webhooks/{webhook['id']}/deliveries", params={"cursor": page.json()["nextCursor"]}
    )
    assert len(rest.json()["items"]) == 1
    assert len(await company.deliveries(webhook["id"], status="SUCCEEDED", eventType="WebhookTest")) == 3
    assert await company.deliveries(webhook["id"], status="FAILED") == []
    assert await company.deliveries(webhook["id"], eventType="OrderPlaced") == []
    assert (await company.request("GET", f"/api/v1/webhooks/{webhook['id']}/deliveries?status=LOST")).status_code == 422
