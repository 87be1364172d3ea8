"""The SSRF guard with the allow-list empty (the default): loopback, private, link-local and metadata
addresses refused at creation when literal, and at delivery time, as a failed attempt with a clear error,
when a name resolves to one."""

import ipaddress
from collections.abc import AsyncIterator

import pytest

from kit.context import ContextSigner
from kit.settings import PlatformSettings
from services.webhooks.app import create_app
from services.webhooks.settings import WebhooksSettings
from services.webhooks.ssrf import refusal
from tests.conftest import DatabaseFactory
from tests.support.services import RunningService, running_service
from tests.webhooks.conftest import FAST, CompanyApi, all_finished
from tests.webhooks.receiver import Receiver


@pytest.fixture(scope="module")
async def webhooks(
    platform: PlatformSettings, new_database: DatabaseFactory, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    settings = WebhooksSettings(database_url=await new_database("webhooks_ssrf"), **{**FAST, "allowed_networks": []})
    app = create_app(settings, platform, run_worker=True)
    async with running_service("webhooks", app, platform, signer) as service:
        yield service


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1/hook", "127.0.0.1 is a loopback address: not allowed"),
        ("https://10.0.0.1/hook", "10.0.0.1 is a private address: not allowed"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address: not allowed"),
        ("https://[::1]/hook", "::1 is a loopback address: not allowed"),
        ("https://[::ffff:127.0.0.1]:8443/hook", "is a loopback address (127.0.0.1): not allowed"),
        ("https://192.168.1.10/hook", "192.168.1.10 is a private address: not allowed"),
        ("https://[2002:a00:1::]/hook", "is a private address (10.0.0.1): not allowed"),
        ("https://[64:ff9b::a9fe:a9fe]/hook", "is a cloud metadata address (169.254.169.254): not allowed"),
        ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address: not allowed"),
    ],
)
async def test_a_literal_refused_address_is_a_422_naming_it(url: str, message: str, webhooks: RunningService) -> None:
    company = CompanyApi(webhooks)

    response = await company.request("POST", "/api/v1/webhooks", json={"url": url, "events": ["*"]})

    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "url"


async def test_a_refused_address_is_refused_on_edit_too(webhooks: RunningService) -> None:
    company = CompanyApi(webhooks)
    webhook = await company.create("https://hooks.example.com/")

    response = await company.request("PATCH", f"/api/v1/webhooks/{webhook['id']}", json={"url": "https://10.0.0.1/"})

    assert response.status_code == 422
    assert (await company.webhook(webhook["id"]))["url"] == "https://hooks.example.com/"


async def test_a_name_is_not_resolved_at_creation_but_refused_when_it_resolves_to_loopback(
    webhooks: RunningService, receiver: Receiver
) -> None:
    company = CompanyApi(webhooks)
    # localhost resolves to loopback: accepted as a name, refused when a delivery connects.
    webhook = await company.create(f"https://localhost:{receiver.port}/hook")

    assert (await company.request("POST", f"/api/v1/webhooks/{webhook['id']}/test")).status_code == 202
    deliveries = await company.wait_for_deliveries(
        webhook["id"], lambda ds: bool(ds and ds[0]["attempts"]), what="the refused attempt"
    )

    attempt = deliveries[0]["attempts"][0]
    assert attempt["statusCode"] is None
    assert "localhost resolves to" in attempt["error"]
    assert "a loopback address: not allowed" in attempt["error"]
    assert receiver.received == []


async def test_http_to_a_public_literal_address_is_refused(webhooks: RunningService) -> None:
    response = await CompanyApi(webhooks).request(
        "POST", "/api/v1/webhooks", json={"url": "http://93.184.216.34/hook", "events": ["*"]}
    )

    assert response.status_code == 422
    assert "must use https" in response.json()["detail"]


async def test_a_public_https_address_is_accepted(webhooks: RunningService) -> None:
    created = await CompanyApi(webhooks).create("https://93.184.216.34/hook")

    assert created["url"] == "https://93.184.216.34/hook"


@pytest.mark.parametrize(
    "address", ["100.64.0.1", "172.16.0.1", "fc00::1", "fe80::1", "224.0.0.1", "0.0.0.0", "::", "240.0.0.1"]
)
def test_every_non_public_kind_is_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), []) is not None


def test_the_allow_list_opens_only_its_networks() -> None:
    allowed = [ipaddress.ip_network("10.1.0.0/16")]

    assert refusal(ipaddress.ip_address("10.1.2.3"), allowed) is None
    assert refusal(ipaddress.ip_address("::ffff:10.1.2.3"), allowed) is None
    assert refusal(ipaddress.ip_address("10.2.0.1"), allowed) == "a private address"
    assert refusal(ipaddress.ip_address("93.184.216.34"), []) is None


async def test_deliveries_to_a_refused_name_keep_failing_without_reaching_it(
    webhooks: RunningService, receiver: Receiver
) -> None:
    company = CompanyApi(webhooks)
    webhook = await company.create(f"https://localhost:{receiver.port}/hook")
    await company.request("POST", f"/api/v1/webhooks/{webhook['id']}/test")

    [delivery] = await company.wait_for_deliveries(webhook["id"], all_finished(1, "FAILED"))

    assert len(delivery["attempts"]) == 4
    assert all("not allowed" in attempt["error"] for attempt in delivery["attempts"])
    assert receiver.received == []
