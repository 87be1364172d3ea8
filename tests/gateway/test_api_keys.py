"""`Authorization: Bearer` API keys at the gateway: the key's company, its scopes, revocation, last use.

Identity keeps the key directory (`{namespace}:apikey:{sha256}`) and answers misses; the stand-in
identity here holds the keys the tests give it. Keys made and revoked through the real identity service
are exercised in tests/e2e/test_people.py.
"""

import json
import uuid
from datetime import datetime
from typing import Any

import pytest

from gateway.api_keys import USE_RECORDED_EVERY, secret_hash
from tests.gateway.conftest import GatewayHarness

SECRET = "dk_" + "k" * 43


def key_entry(*scopes: str, company_id: str | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "companyId": company_id or str(uuid.uuid4()),
        "name": "ERP",
        "scopes": list(scopes),
    }


async def publish(gateway: GatewayHarness, secret: str, entry: dict[str, Any]) -> None:
    await gateway.redis.set(f"{gateway.namespace}:apikey:{secret_hash(secret)}", json.dumps(entry))


def bearer(secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_a_key_acts_for_its_company_with_its_scopes(gateway: GatewayHarness) -> None:
    entry = key_entry("catalog:read", "orders:write")
    await publish(gateway, SECRET, entry)

    response = await gateway.client.get("/api/v1/products?status=ACTIVE", headers=bearer())

    assert response.status_code == 200
    catalog = gateway.services["catalog"]
    context = catalog.context_of(catalog.received[-1])
    assert str(context.company_id) == entry["companyId"]
    assert (context.principal.type, str(context.principal.id)) == ("api_key", entry["id"])
    assert context.principal.scopes == ["catalog:read", "orders:write"]
    assert "authorization" not in catalog.received[-1].headers


@pytest.mark.parametrize(
    ("method", "path", "scopes", "missing"),
    [
        ("GET", "/api/v1/products", ["orders:read"], "catalog:read"),
        ("POST", "/api/v1/products", ["catalog:read"], "catalog:write"),
        ("DELETE", "/api/v1/customers/1", ["customers:read"], "customers:write"),
        ("GET", "/api/v1/audit-logs", ["webhooks:write"], "audit:read"),
    ],
)
async def test_a_key_without_the_scope_is_refused_naming_it(
    gateway: GatewayHarness, method: str, path: str, scopes: list[str], missing: str
) -> None:
    await publish(gateway, SECRET, key_entry(*scopes))

    response = await gateway.client.request(method, path, headers=bearer())

    assert response.status_code == 403
    assert response.json()["detail"] == f"This API key does not have the {missing} scope."
    assert all(not service.received for name, service in gateway.services.items() if name != "identity")


async def test_write_scope_includes_read(gateway: GatewayHarness) -> None:
    await publish(gateway, SECRET, key_entry("orders:write"))

    assert (await gateway.client.get("/api/v1/orders", headers=bearer())).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/members", "/api/v1/api-keys", "/api/v1/company", "/api/v1/me"])
async def test_staff_only_endpoints_refuse_keys_whatever_their_scopes(gateway: GatewayHarness, path: str) -> None:
    all_scopes = [f"{area}:write" for area in ("catalog", "customers", "orders", "documents", "webhooks", "audit")]
    await publish(gateway, SECRET, key_entry(*all_scopes))

    response = await gateway.client.get(path, headers=bearer())

    assert response.status_code == 403
    assert "API keys cannot use this endpoint" in response.json()["detail"]


async def test_a_key_needs_no_csrf_token_for_changes(gateway: GatewayHarness) -> None:
    await publish(gateway, SECRET, key_entry("catalog:write"))

    response = await gateway.client.post("/api/v1/products", json={"sku": "A-1"}, headers=bearer())

    assert response.status_code == 200


async def test_an_unknown_key_is_401_and_asked_of_identity_once(gateway: GatewayHarness) -> None:
    identity = gateway.services["identity"]

    first = await gateway.client.get("/api/v1/orders", headers=bearer())
    second = await gateway.client.get("/api/v1/orders", headers=bearer())

    assert (first.status_code, second.status_code) == (401, 401)
    assert first.headers["content-type"] == "application/problem+json"
    assert first.json()["detail"] == "This API key is not valid or has been revoked."
    assert len(identity.calls_to(f"/internal/api-keys/{secret_hash(SECRET)}")) == 1


async def test_a_key_missing_from_the_directory_is_found_through_identity(gateway: GatewayHarness) -> None:
    gateway.services["identity"].api_keys[secret_hash(SECRET)] = key_entry("orders:read")

    assert (await gateway.client.get("/api/v1/orders", headers=bearer())).status_code == 200


async def test_a_revoked_key_stops_working_on_its_next_call(gateway: GatewayHarness) -> None:
    await publish(gateway, SECRET, key_entry("orders:read"))
    assert (await gateway.client.get("/api/v1/orders", headers=bearer())).status_code == 200

    # What identity does on revoke: the directory entry goes, and identity no longer knows the key.
    await gateway.redis.delete(f"{gateway.namespace}:apikey:{secret_hash(SECRET)}")

    assert (await gateway.client.get("/api/v1/orders", headers=bearer())).status_code == 401


@pytest.mark.parametrize("header", ["Bearer not-our-format", "Bearer " + "dk_" + "x" * 200, "Bearer"])
async def test_malformed_bearer_credentials_are_refused_without_a_lookup(gateway: GatewayHarness, header: str) -> None:
    response = await gateway.client.get("/api/v1/orders", headers={"Authorization": header})

    if header == "Bearer":
        # No credentials at all: treated as no key (a plain anonymous call).
        assert response.status_code == 401
        assert response.json()["detail"] == "Sign in to continue."
    else:
        assert response.status_code == 401
        assert response.json()["detail"] == "This API key is not valid or has been revoked."
    assert not gateway.services["identity"].received


async def test_an_accepted_call_records_the_keys_last_use_once_a_minute(gateway: GatewayHarness) -> None:
    await publish(gateway, SECRET, key_entry("orders:read"))
    used_key = f"{gateway.namespace}:apikey-used:{secret_hash(SECRET)}"

    await gateway.client.get("/api/v1/orders", headers=bearer())
    first = await gateway.redis.get(used_key)
    assert first is not None
    first_use = datetime.fromisoformat(str(first))
    assert first_use.tzinfo is not None

    # Within the minute the recorded use stands: no write per call.
    await gateway.client.get("/api/v1/orders", headers=bearer())
    assert await gateway.redis.get(used_key) == first

    # Once it is a minute old, the next call records its own time.
    older = (first_use - USE_RECORDED_EVERY).isoformat()
    await gateway.redis.set(used_key, older)
    await gateway.client.get("/api/v1/orders", headers=bearer())
    assert datetime.fromisoformat(str(await gateway.redis.get(used_key))) >= first_use


async def test_a_refused_key_records_no_use(gateway: GatewayHarness) -> None:
    await gateway.client.get("/api/v1/orders", headers=bearer())

    assert await gateway.redis.get(f"{gateway.namespace}:apikey-used:{secret_hash(SECRET)}") is None
