"""Request bodies at the gateway: each route's cap, refused with 413 before the body is read or as soon
as a chunked one passes it, for API calls and page forms alike."""

import itertools
import json
import uuid
from collections.abc import AsyncIterator

import pytest

from gateway.api_keys import secret_hash
from gateway.routes import CSV_IMPORT_BODY_BYTES, DOCUMENT_UPLOAD_BODY_BYTES
from gateway.settings import GatewaySettings
from kit.context import ContextSigner
from kit.errors import PROBLEM_CONTENT_TYPE
from kit.settings import PlatformSettings
from tests.gateway.live_gateway import LiveGateway, gateway_with_storefront
from tests.infrastructure import Infrastructure
from tests.support.live_http import RawResponse, raw_request, stream_request

SLUG = "blue-plate"
CAP = GatewaySettings().max_body_bytes
SECRET = "dk_" + "b" * 43
BEARER = ("Authorization", f"Bearer {SECRET}")
JSON = ("Content-Type", "application/json")
FORM = ("Content-Type", "application/x-www-form-urlencoded")
# Where a body goes whole into memory (sign-in: rate limited by email), where it streams to the
# service (an API change), and a page's form.
CAPPED = [
    ("/api/v1/auth/login", [JSON]),
    (f"/store/{SLUG}/api/login", [JSON]),
    ("/api/v1/products", [JSON, BEARER]),
    ("/login", [FORM]),
]


@pytest.fixture(scope="module")
async def running_gateway(
    platform: PlatformSettings, signer: ContextSigner, infra: Infrastructure
) -> AsyncIterator[LiveGateway]:
    async with gateway_with_storefront(platform, signer, infra, SLUG) as running:
        entry = {"id": str(uuid.uuid4()), "companyId": str(uuid.uuid4()), "name": "ERP", "scopes": ["catalog:write"]}
        await running.redis.set(f"{running.namespace}:apikey:{secret_hash(SECRET)}", json.dumps(entry))
        yield running


def _assert_too_large(response: RawResponse) -> None:
    assert response.status == 413, response
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert json.loads(response.body)["status"] == 413


@pytest.mark.parametrize(("path", "headers"), CAPPED)
async def test_a_content_length_over_the_cap_is_413_before_any_of_the_body_is_sent(
    live: LiveGateway, path: str, headers: list[tuple[str, str]]
) -> None:
    # Not one byte of the announced body is sent: the answer can only come from the header.
    upload = await stream_request(live.server, "POST", path, (), headers=headers, content_length=200 * 1024 * 1024)

    _assert_too_large(upload.response)
    assert live.targets_reached() == []


@pytest.mark.parametrize(("path", "headers"), CAPPED)
async def test_a_chunked_body_is_cut_with_413_once_it_passes_the_cap(
    live: LiveGateway, path: str, headers: list[tuple[str, str]]
) -> None:
    # An endless body: only the gateway's cut ends the request.
    endless = itertools.repeat(b"x" * 16 * 1024)

    upload = await stream_request(live.server, "POST", path, endless, headers=headers)

    _assert_too_large(upload.response)
    assert upload.bytes_sent > CAP
    # Sign-in bodies are read whole before forwarding: none of this one reached identity.
    if "login" in path:
        assert live.targets_reached() == []


async def test_the_cap_is_exact(live: LiveGateway) -> None:
    at_cap = b'{"name": "' + b"x" * (CAP - 12) + b'"}'
    assert len(at_cap) == CAP

    accepted = await raw_request(live.server, "POST", "/api/v1/products", headers=[JSON, BEARER], body=at_cap)
    refused = await raw_request(live.server, "POST", "/api/v1/products", headers=[JSON, BEARER], body=at_cap + b" ")

    assert accepted.status == 200, accepted
    assert live.services["catalog"].received[-1].body == at_cap
    _assert_too_large(refused)


async def test_the_csv_import_takes_a_body_json_routes_refuse(live: LiveGateway) -> None:
    csv = b"sku,name,unitPrice\n" + b"A-1,Bolt,1.00\n" * (2 * 1024 * 1024 // 14)
    headers = [("Content-Type", "text/csv"), BEARER]

    imported = await raw_request(live.server, "POST", "/api/v1/products/import", headers=headers, body=csv)
    refused = await raw_request(live.server, "POST", "/api/v1/products", headers=headers, body=csv)

    assert imported.status == 200, imported
    assert live.services["catalog"].received[-1].body == csv
    _assert_too_large(refused)


async def test_a_csv_import_over_its_own_cap_is_413(live: LiveGateway) -> None:
    upload = await stream_request(
        live.server,
        "POST",
        "/api/v1/products/import",
        (),
        headers=[("Content-Type", "text/csv"), BEARER],
        content_length=CSV_IMPORT_BODY_BYTES + 1,
    )

    _assert_too_large(upload.response)
    assert live.targets_reached() == []


CUSTOMER = uuid.uuid4()


@pytest.mark.parametrize(
    ("path", "cap"),
    [
        (f"/api/v1/customers/{CUSTOMER}/documents", DOCUMENT_UPLOAD_BODY_BYTES),
        # The dashboard's upload form: the same file with the form's other fields around it.
        (f"/dashboard/customers/{CUSTOMER}/documents", DOCUMENT_UPLOAD_BODY_BYTES + 64 * 1024),
    ],
)
async def test_a_document_upload_over_its_own_cap_is_413_before_it_is_read(
    live: LiveGateway, path: str, cap: int
) -> None:
    headers = [("Content-Type", "multipart/form-data; boundary=x"), BEARER]
    # Ten mebibytes and more, far above the JSON cap, are that route's to take; one byte past its own cap is not.
    assert cap > 10 * 1024 * 1024 > CAP

    upload = await stream_request(live.server, "POST", path, (), headers=headers, content_length=cap + 1)
    # A megabyte passes the cap: whatever answers it (this key's scopes, the page's missing session), not a 413.
    megabyte = await raw_request(live.server, "POST", path, headers=headers, body=b"x" * 1024 * 1024)

    _assert_too_large(upload.response)
    assert megabyte.status != 413, megabyte
    assert live.targets_reached() == []
