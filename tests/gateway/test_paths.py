"""Paths at the gateway: refused before routing unless they mean one thing to every HTTP stack, then
forwarded to the service exactly as authorized; HEAD and 405 on every route."""

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from gateway.paths import InvalidPath
from gateway.routes import GET, ROUTES, Route, RouteTable, upstream_path
from kit.context import ContextSigner
from kit.errors import PROBLEM_CONTENT_TYPE
from kit.settings import PlatformSettings
from tests.gateway.conftest import GatewayHarness
from tests.gateway.live_gateway import LiveGateway, gateway_with_storefront, live_gateway
from tests.infrastructure import Infrastructure
from tests.support.live_http import RawResponse, raw_request

SLUG = "blue-plate"
# `..` as clients may spell it: raw, percent-encoded in any case, or a mix.
DOT_DOT = ("..", "%2e%2e", "%2E%2E", "%2e%2E", ".%2e", "%2E.")
# Where a traversal would land: identity's internal directories, and a staff-only route.
TARGETS = (
    f"/internal/principals/{uuid.uuid4()}",
    f"/internal/api-keys/{hashlib.sha256(b'dk_secret').hexdigest()}",
    f"/internal/storefronts/{SLUG}",
    "/api/v1/orders/limits",
)


@pytest.fixture(scope="module")
async def running_gateway(
    platform: PlatformSettings, signer: ContextSigner, infra: Infrastructure
) -> AsyncIterator[LiveGateway]:
    # One for the module: seven servers take a second or two to start and stop, and these tests are many.
    async with gateway_with_storefront(platform, signer, infra, SLUG) as running:
        yield running


def _example_path(route: Route) -> str:
    return route.pattern.replace("{slug}", SLUG).replace("{id}", "c1")


def _traversals(route: Route) -> list[str]:
    """`route`'s path, climbing back to the root (as the service would see it) and on to each target."""
    path = _example_path(route)
    depth = upstream_path(path, SLUG if route.is_storefront else None).count("/")
    attempts = [f"{path}/{'/'.join([dots] * depth)}{target}" for dots in DOT_DOT for target in TARGETS]
    attempts += [f"{path}/.{TARGETS[0]}", f"{path}/%2E/x", f"{path}/%2e"]
    return attempts


def _assert_invalid_path(response: RawResponse, sent: str) -> None:
    assert response.status == 400, (sent, response)
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert json.loads(response.body)["type"].endswith("/invalid-path")


@pytest.mark.parametrize(
    "route", ROUTES, ids=lambda route: f"{'|'.join(sorted(route.methods)) or 'ANY'} {route.pattern}"
)
async def test_dot_segments_under_every_route_are_refused_before_reaching_a_service(
    live: LiveGateway, route: Route
) -> None:
    method = min(route.methods) if route.methods else "GET"
    for path in _traversals(route):
        response = await raw_request(live.server, method, path, headers=[("Content-Type", "application/json")])
        _assert_invalid_path(response, path)

    assert live.targets_reached() == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/products/a%2fb",
        "/api/v1/products/a%2Fb",
        f"/store/{SLUG}/api/contacts%2f..%2f..%2finternal%2fprincipals%2fx",
        "/api/v1/products/a%5cb",
        "/api/v1/products/a%5Cb",
        "/api/v1/products/a\\b",
        f"/store/{SLUG}/api/contacts/..\\..\\internal\\principals\\x",
        "/api/v1//products",
        "//api/v1/products",
        "/api/v1/products/%zz",
        "/api/v1/products/a%2",
        "/api/v1/products/%ff",
        "/api/v1/products/%C0%AE%C0%AE",
        # Pages and everything else the gateway serves get the same rules.
        "/dashboard/../api/v1/orders/limits",
        "/dashboard/%2e%2e/api/v1/orders/limits",
        f"/store/{SLUG}/%2E%2E/%2e%2e/internal/storefronts/{SLUG}",
        "/static/..%2f..%2fgateway/settings.py",
    ],
)
async def test_encoded_slashes_backslashes_empty_segments_and_bad_encoding_are_refused(
    live: LiveGateway, path: str
) -> None:
    _assert_invalid_path(await raw_request(live.server, "GET", path), path)
    assert live.targets_reached() == []


@pytest.mark.parametrize("character", ["%07", "%00", "%0a", "%0D", "%1b", "%7f", "%7F", "%C2%80", "%c2%85", "%C2%9F"])
async def test_control_characters_in_a_path_are_400_not_500(live: LiveGateway, character: str) -> None:
    for path in (f"/store/{SLUG}/api/products/a{character}b", f"/api/v1/products/a{character}b", f"/login{character}"):
        _assert_invalid_path(await raw_request(live.server, "GET", path), path)
    assert live.targets_reached() == []


async def test_a_raw_control_character_or_backslash_is_refused(live: LiveGateway) -> None:
    for path in (f"/store/{SLUG}/api/products/a\x7fb", f"/store/{SLUG}/api/products/a\\b"):
        response = await raw_request(live.server, "GET", path)
        assert response.status == 400, (path, response)
    assert live.targets_reached() == []


async def test_the_service_receives_exactly_the_path_that_was_authorized(live: LiveGateway) -> None:
    # `?`, `#`, `%`, `;`, a space and a non-ASCII letter, all data inside one segment; then segments
    # that are `%2e%2e` and `%41` as text, which a client that decodes twice reads as `..` and `A`.
    sent = f"/store/{SLUG}/api/products/a%20b%3Fc%23d%25e%C3%A9;f%3Bg~h/%252e%252e/%2541"

    response = await raw_request(live.server, "GET", sent + "?q=bolts")

    assert response.status == 200, response
    [(service, method, target)] = live.targets_reached()
    assert (service, method) == ("catalog", "GET")
    assert target == b"/storefront/products/a%20b%3Fc%23d%25e%C3%A9;f;g~h/%252e%252e/%2541"
    authorized = unquote(sent)[len(f"/store/{SLUG}/api") :]
    assert unquote(target.decode()) == "/storefront" + authorized
    assert live.services["catalog"].received[-1].query == "q=bolts"


async def test_a_service_redirect_is_rewritten_to_the_public_path(
    platform: PlatformSettings, signer: ContextSigner, test_redis: Redis
) -> None:
    # A real FastAPI service: `/storefront/products/` answers a redirect to its own URL without the slash.
    catalog = FastAPI()

    @catalog.get("/storefront/products")
    async def products() -> list[str]:
        return []

    async with live_gateway(platform, signer, test_redis, apps={"catalog": catalog}) as live:
        entry = {"companyId": str(uuid.uuid4()), "name": "Blue Plate", "slug": SLUG}
        await test_redis.set(f"{live.namespace}:storefront:{SLUG}", json.dumps(entry))

        response = await raw_request(live.server, "GET", f"/store/{SLUG}/api/products/?q=x")

    assert 300 <= response.status < 400, response
    assert response.headers["location"] == f"/store/{SLUG}/api/products?q=x"


async def test_head_answers_like_get_without_a_body(live: LiveGateway) -> None:
    for path in ("/api/v1/plans", f"/store/{SLUG}/api/categories", "/login"):
        got = await raw_request(live.server, "GET", path)
        head = await raw_request(live.server, "HEAD", path)

        assert head.status == got.status == 200, (path, head, got)
        assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.body))
        assert head.headers["content-type"] == got.headers["content-type"]
    # Services are asked with GET; HEAD stays at the gateway.
    assert {method for _, method, _ in live.targets_reached()} == {"GET"}


async def test_405_names_every_allowed_method_and_head_with_get(gateway: GatewayHarness) -> None:
    api = await gateway.client.put("/api/v1/catalog/limits")
    page = await gateway.client.put("/dashboard")

    assert api.status_code == page.status_code == 405
    assert api.headers["allow"] == "GET, HEAD"
    assert api.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert page.headers["allow"] == "GET, HEAD"


def test_the_route_table_refuses_dot_segments_and_never_holds_internal_paths() -> None:
    # Pages match paths they build from form fields: a field holding `../..` must not climb either.
    for path in ("/api/v1/customers/../../internal/principals/x", "/store/acme/api/contacts/./x", "/api/v1//orders"):
        with pytest.raises(InvalidPath):
            RouteTable().match("GET", path)
    with pytest.raises(ValueError, match="internal"):
        Route(GET, "/internal/principals/{id}", "identity", ROUTES[0].access)
