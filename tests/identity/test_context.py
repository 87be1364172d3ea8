"""Identity answers only calls that carry a valid internal context addressed to it."""

import uuid

import pytest

from kit.context import CONTEXT_HEADER, ContextSigner, Principal
from tests.conftest import context_headers
from tests.identity.conftest import Identity

PATHS = [
    ("GET", "/api/v1/plans"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/signup"),
    ("POST", "/api/v1/auth/login"),
    ("PATCH", "/api/v1/company"),
    ("GET", "/internal/storefronts/acme"),
    ("GET", "/openapi.json"),
]


@pytest.mark.parametrize(("method", "path"), PATHS)
async def test_a_call_without_the_internal_context_is_refused(identity: Identity, method: str, path: str) -> None:
    response = await identity.client.request(method, path, json={})

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_context_addressed_to_another_service_is_refused(identity: Identity) -> None:
    account = await identity.signup()
    principal = Principal(type="user", id=uuid.UUID(account["user"]["id"]), role="OWNER")
    for_catalog = context_headers(
        identity.signer, "catalog", company_id=uuid.UUID(account["company"]["id"]), principal=principal
    )

    response = await identity.client.get("/api/v1/me", headers=for_catalog)

    assert response.status_code == 401


async def test_a_context_signed_with_another_secret_is_refused(identity: Identity) -> None:
    forger = ContextSigner("x" * 48)

    response = await identity.client.get("/api/v1/plans", headers=context_headers(forger, "identity"))

    assert response.status_code == 401


async def test_a_garbled_context_is_refused(identity: Identity) -> None:
    response = await identity.client.get("/api/v1/plans", headers={CONTEXT_HEADER: "not-a-token"})

    assert response.status_code == 401


async def test_health_needs_no_context(identity: Identity) -> None:
    response = await identity.client.get("/healthz")

    assert response.status_code == 200


async def test_openapi_documents_the_public_routes_only(identity: Identity) -> None:
    response = await identity.client.get("/openapi.json", headers=identity.anonymous(internal=True))

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/signup",
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/company",
        "/api/v1/plans",
        "/api/v1/subscription",
        "/storefront/login",
        "/storefront/setup-password",
        "/storefront/me",
    } <= set(paths)
    # The gateway's own lookups are not part of the public API.
    assert not [path for path in paths if path.startswith("/internal/")]
    signup = paths["/api/v1/signup"]["post"]
    assert {"201", "409", "422"} <= set(signup["responses"])
