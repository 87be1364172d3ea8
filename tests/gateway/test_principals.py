"""Sessions follow their principal: the role, or the removal, identity publishes applies on the next request.

Identity writes `{namespace}:principal:{ref}` (accounts/principals.py); here the tests write it as
identity does and watch what the gateway forwards. The real round trip is in tests/e2e/test_people.py.
"""

import json
from typing import Any

from gateway.sessions import STAFF_COOKIE
from tests.gateway.conftest import GatewayHarness


def principal_key(gateway: GatewayHarness, ref: str) -> str:
    return f"{gateway.namespace}:principal:{ref}"


def entry_of(signed_up: dict[str, Any], role: str, company_id: str | None = None) -> str:
    return json.dumps(
        {
            "ref": signed_up["membershipId"],
            "type": "user",
            "id": signed_up["user"]["id"],
            "companyId": company_id or signed_up["company"]["id"],
            "role": role,
            "customerId": None,
        }
    )


async def forwarded_role(gateway: GatewayHarness) -> str | None:
    orders = gateway.services["orders"]
    return orders.context_of(orders.received[-1]).principal.role


async def test_a_published_role_change_applies_to_the_next_request(gateway: GatewayHarness) -> None:
    signed_up = await gateway.sign_up(role="ADMIN")
    await gateway.redis.set(principal_key(gateway, signed_up["membershipId"]), entry_of(signed_up, "ADMIN"))
    assert (await gateway.client.get("/api/v1/orders")).status_code == 200
    assert await forwarded_role(gateway) == "ADMIN"

    await gateway.redis.set(principal_key(gateway, signed_up["membershipId"]), entry_of(signed_up, "MEMBER"))

    assert (await gateway.client.get("/api/v1/orders")).status_code == 200
    assert await forwarded_role(gateway) == "MEMBER"
    assert (await gateway.client.get("/api/v1/audit-logs")).status_code == 403


async def test_a_missing_entry_is_asked_of_identity_and_a_removed_principal_ends_the_session(
    gateway: GatewayHarness,
) -> None:
    signed_up = await gateway.sign_up(role="ADMIN")
    identity = gateway.services["identity"]
    token = gateway.client.cookies[STAFF_COOKIE]
    assert await gateway.redis.exists(principal_key(gateway, signed_up["membershipId"])) == 0

    # No entry: identity answers with the member as it is now.
    assert (await gateway.client.get("/api/v1/orders")).status_code == 200
    assert identity.calls_to(f"/internal/principals/{signed_up['membershipId']}")

    # Removed: identity no longer knows the membership, so the session ends there.
    identity.companies.clear()
    refused = await gateway.client.get("/api/v1/orders")

    assert refused.status_code == 401
    assert await gateway.redis.exists(f"{gateway.namespace}:session:{token}") == 0


async def test_an_entry_for_another_company_does_not_carry_the_session_there(gateway: GatewayHarness) -> None:
    signed_up = await gateway.sign_up()
    other = await gateway.sign_up(client=gateway.client_from("198.51.99.1"))
    forged = entry_of(signed_up, "OWNER", company_id=other["company"]["id"])
    await gateway.redis.set(principal_key(gateway, signed_up["membershipId"]), forged)

    assert (await gateway.client.get("/api/v1/orders")).status_code == 401


async def test_a_token_whose_reference_was_altered_is_nobody(gateway: GatewayHarness) -> None:
    signed_up = await gateway.sign_up()
    other = await gateway.sign_up(client=gateway.client_from("198.51.99.2"))
    token = gateway.client.cookies[STAFF_COOKIE]
    swapped = other["membershipId"].replace("-", "") + "." + token.split(".", 1)[1]
    assert signed_up["membershipId"] != other["membershipId"]

    response = await gateway.client.get("/api/v1/orders", headers={"Cookie": f"{STAFF_COOKIE}={swapped}"})

    assert response.status_code == 401
