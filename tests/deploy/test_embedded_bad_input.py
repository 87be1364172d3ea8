"""Embedded mode (SQLite, through the gateway) refuses unsafe text and non-decimal prices as full mode does."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from deploy.embedded import running_system
from tests.support.api import PROBLEM_JSON, sign_up
from tests.support.systems import SIGN_UP_LIMITS_FOR_SHARED_SYSTEMS


@pytest.fixture(scope="module")
async def system(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[FastAPI, str]]:
    data_dir: Path = tmp_path_factory.mktemp("embedded")
    with pytest.MonkeyPatch.context() as environment:
        # Every test here signs a company up from the same address; the per-IP sign-up limits have tests of their own.
        for name, value in SIGN_UP_LIMITS_FOR_SHARED_SYSTEMS.items():
            environment.setenv(name, value)
        async with running_system(data_dir, "127.0.0.1", 8000) as started:
            yield started


def client_of(system: tuple[FastAPI, str]) -> httpx.AsyncClient:
    """A browser-like client of the embedded gateway, with cookies of its own."""
    app, public_url = system
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url=public_url, headers={"Origin": public_url})


@pytest.fixture
async def gateway(system: tuple[FastAPI, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(system) as client:
        yield client


@contextlib.asynccontextmanager
async def signed_up_staff(system: tuple[FastAPI, str]) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    """A client signed in as the owner of a new company."""
    async with client_of(system) as client:
        yield client, await sign_up(client)


async def catalog_products(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The company's products, once catalog knows the company (it answers 503 until identity's signup
    events reach it, a moment after signup)."""
    for _ in range(200):
        response = await client.get("/api/v1/products")
        if response.status_code != httpx.codes.SERVICE_UNAVAILABLE:
            break
        await asyncio.sleep(0.05)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def post_product(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    # ASCII escapes, as a client may send them: a lone surrogate cannot be encoded as UTF-8.
    return await client.post("/api/v1/products", content=json.dumps(body).encode("ascii"), headers=JSON)


JSON = {"content-type": "application/json"}


def assert_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert field in {error["field"] for error in response.json()["errors"]}, response.text


def product(**overrides: Any) -> dict[str, Any]:
    return {"sku": f"SKU-{uuid.uuid4().hex[:8]}", "name": "Nitrile gloves", "unitPrice": "12.50", **overrides}


@pytest.mark.parametrize("name", ["Glo\x00ves", "Glo\u202eves", "Glo\u200bves", "Glo\x1bves"])
async def test_a_product_name_with_unsafe_characters_is_refused_and_not_stored_on_sqlite(
    system: tuple[FastAPI, str], name: str
) -> None:
    async with signed_up_staff(system) as (client, _):
        assert await catalog_products(client) == []

        response = await post_product(client, product(name=name))

        assert_refused(response, "name")
        assert await catalog_products(client) == []


@pytest.mark.parametrize("price", [12.5, 12, "١٢", "1e3", " 12", "12.5.0", "12.505"])
async def test_a_price_that_is_not_an_ascii_decimal_string_is_refused_on_sqlite(
    system: tuple[FastAPI, str], price: Any
) -> None:
    async with signed_up_staff(system) as (client, _):
        assert await catalog_products(client) == []

        response = await post_product(client, product(unitPrice=price))

        assert_refused(response, "unitPrice")
        assert "12.50" in response.text
        assert await catalog_products(client) == []


async def test_a_signup_with_a_nul_in_the_company_name_is_refused_and_creates_no_company(
    gateway: httpx.AsyncClient,
) -> None:
    email = f"nul-{uuid.uuid4().hex[:8]}@example.com"
    body = {"companyName": "Acme\x00", "name": "Ada", "email": email, "password": "correct horse battery"}

    response = await gateway.post("/api/v1/signup", content=json.dumps(body).encode("ascii"), headers=JSON)

    assert_refused(response, "companyName")
    login = await gateway.post("/api/v1/auth/login", json={"email": email, "password": "correct horse battery"})
    assert login.status_code == 401, login.text


@pytest.mark.parametrize("query", ["%00", "x%7Fy", "%E2%81%A6"])
async def test_an_anonymous_storefront_search_with_unsafe_characters_is_refused_on_sqlite(
    system: tuple[FastAPI, str], gateway: httpx.AsyncClient, query: str
) -> None:
    async with signed_up_staff(system) as (client, account):
        await catalog_products(client)
        assert (await post_product(client, product())).status_code == 201
    slug = account["company"]["slug"]

    response = await gateway.get(f"/store/{slug}/api/products?q={query}")

    assert_refused(response, "q")


async def test_a_lone_surrogate_email_on_sign_in_is_a_client_error_on_sqlite(gateway: httpx.AsyncClient) -> None:
    body = b'{"email": "\\ud800@example.com", "password": "correct horse battery"}'

    response = await gateway.post("/api/v1/auth/login", content=body, headers=JSON)

    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == PROBLEM_JSON


def _login_nested(depth: int) -> bytes:
    """A sign-in body whose email is an array nested `depth` levels deep."""
    return b'{"email": ' + b"[" * depth + b"]" * depth + b', "password": "correct horse battery"}'


async def test_deeply_nested_json_on_sign_in_is_a_client_error_on_sqlite(gateway: httpx.AsyncClient) -> None:
    # Far deeper than any JSON parser recurses, yet within the body cap: a deeper one is 413 (below).
    response = await gateway.post("/api/v1/auth/login", content=_login_nested(30_000), headers=JSON)

    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == PROBLEM_JSON


async def test_json_100000_levels_deep_is_refused_as_too_large(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/api/v1/auth/login", content=_login_nested(100_000), headers=JSON)

    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
