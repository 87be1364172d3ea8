"""Path traversal through the public gateway of the full topology, sent as `curl --path-as-is` would:
no spelling of `..` reaches another company's principal, an API key's entry, the storefront directory
or a staff-only route."""

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.api import PROBLEM_JSON, sign_up
from tests.support.events import wait_until
from tests.support.live_http import LiveServer, raw_request
from tests.support.systems import RunningSystem


def _live(system: RunningSystem) -> LiveServer:
    gateway = urlsplit(system.base_url)
    return LiveServer(gateway.hostname or "127.0.0.1", gateway.port or 80)


@pytest.fixture(scope="module")
async def victim(full_system: RunningSystem) -> dict[str, Any]:
    """A company with an API key: the directories the attempts below aim at hold its entries."""
    async with httpx.AsyncClient(base_url=full_system.base_url) as owner:
        signed_up = await sign_up(owner)
        key = await owner.post("/api/v1/api-keys", json={"name": "ERP", "scopes": ["orders:read"]})
        assert key.status_code == 201, key.text

        async def storefront_answers() -> bool:
            # Catalog learns of the company from identity's events a moment after sign-up (503 until then).
            storefront = await owner.get(f"/store/{signed_up['company']['slug']}/api/products")
            return storefront.status_code == httpx.codes.OK

        await wait_until(storefront_answers, within=30, what="the storefront to answer")
    return {**signed_up, "keyHash": hashlib.sha256(key.json()["secret"].encode()).hexdigest()}


def _attempts(victim: dict[str, Any]) -> list[str]:
    slug, ref, key_hash = victim["company"]["slug"], victim["membershipId"], victim["keyHash"]
    store = f"/store/{slug}/api"
    return [
        f"{store}/contacts/../../internal/principals/{ref}",
        f"{store}/contacts/%2e%2e/%2e%2e/internal/principals/{ref}",
        f"{store}/addresses/%2E%2e/.%2E/internal/api-keys/{key_hash}",
        f"{store}/products/..%2f..%2finternal%2fstorefronts%2f{slug}",
        f"{store}/documents/..\\..\\internal\\storefronts\\{slug}",
        f"{store}/orders/../../api/v1/orders/limits",
        f"{store}/orders/%2e%2e/%2e%2e/api/v1/orders/limits",
        f"/api/v1/plans/../../internal/principals/{ref}",
        f"/api/v1/products/../../../internal/api-keys/{key_hash}",
        f"/store/{slug}/../../internal/storefronts/{slug}",
        f"/dashboard/../internal/principals/{ref}",
    ]


async def test_dot_segments_never_reach_internal_or_staff_routes(
    full_system: RunningSystem, victim: dict[str, Any]
) -> None:
    for path in _attempts(victim):
        response = await raw_request(_live(full_system), "GET", path)

        assert response.status == 400, (path, response)
        assert response.headers["content-type"] == PROBLEM_JSON
        answer = json.loads(response.body)
        assert answer["type"].endswith("/invalid-path")
        assert victim["company"]["id"] not in response.body.decode()


async def test_a_control_character_in_a_storefront_path_is_400(
    full_system: RunningSystem, victim: dict[str, Any]
) -> None:
    response = await raw_request(_live(full_system), "GET", f"/store/{victim['company']['slug']}/api/products/a%07b")

    assert response.status == 400, response
    assert response.headers["content-type"] == PROBLEM_JSON
