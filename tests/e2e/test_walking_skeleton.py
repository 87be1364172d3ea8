"""The walking skeleton end to end, through the gateway only, in both run modes.

A distributor signs up and the event crosses identity's outbox, the bus and the audit service;
the storefront follows a slug change at once; bad input changes nothing; services refuse calls
that skip the gateway; another tenant's data is a 404; a broker outage delays events, never loses them.
"""

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.system_state import database_urls, fetch_one
from tests.support.api import PROBLEM_JSON, audit_entries, sign_up, unique
from tests.support.events import wait_until
from tests.support.systems import RunningSystem


async def test_signup_crosses_the_bus_into_the_audit_log(system: RunningSystem):
    async with httpx.AsyncClient(base_url=system.base_url) as client:
        signup = await sign_up(client, "Acme Distributors")
        company, user = signup["company"], signup["user"]
        assert company["slug"].startswith("acme-distributors")
        assert signup["role"] == "OWNER"

        me = await client.get("/api/v1/me")
        assert me.status_code == 200
        assert me.json()["company"]["id"] == company["id"]

        async def company_created() -> list[dict[str, Any]]:
            return await audit_entries(client, action="CompanyCreated")

        [entry] = await wait_until(company_created, within=20, what="CompanyCreated in the audit log")
        assert entry["entityType"] == "Company"
        assert entry["entityId"] == company["id"]
        assert entry["actorType"] == "USER"
        assert entry["actorId"] == user["id"]
        assert entry["ipAddress"] == "127.0.0.1"
        assert entry["metadata"]["slug"] == company["slug"]
        assert entry["createdAt"]

        subscription = (await client.get("/api/v1/subscription")).json()
        assert subscription["status"] == "TRIALING"
        assert subscription["planCode"] == "starter"


async def test_slug_change_moves_the_storefront_at_once(system: RunningSystem):
    async with httpx.AsyncClient(base_url=system.base_url) as client:
        company = (await sign_up(client))["company"]
        old_slug = company["slug"]
        storefront = await client.get(f"/store/{old_slug}")
        assert storefront.status_code == 200
        assert company["name"] in storefront.text

        new_slug = unique("moved")
        changed = await client.patch("/api/v1/company", json={"slug": new_slug})
        assert changed.status_code == 200, changed.text
        assert changed.json()["slug"] == new_slug

        assert (await client.get(f"/store/{old_slug}")).status_code == 404
        moved = await client.get(f"/store/{new_slug}")
        assert moved.status_code == 200
        assert company["name"] in moved.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": None}, "email"),
        ({"companyName": None}, "companyName"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
    ],
)
async def test_bad_signup_is_a_problem_and_creates_nothing(
    system: RunningSystem, change: dict[str, str | None], field: str
):
    tag = uuid.uuid4().hex[:8]
    payload: dict[str, str] = {
        "companyName": f"Bad Input {tag}",
        "name": "Bea",
        "email": f"bea-{tag}@example.com",
        "password": "long enough password",
    }
    for key, value in change.items():
        if value is None:
            del payload[key]
        else:
            payload[key] = value

    async with httpx.AsyncClient(base_url=system.base_url) as client:
        response = await client.post("/api/v1/signup", json=payload)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        problem = response.json()
        assert problem["status"] == 422
        assert field in {error["field"] for error in problem["errors"]}
        assert "distribu_session" not in response.cookies

        # Nothing was created: the account does not exist and the storefront does not resolve.
        login = await client.post(
            "/api/v1/auth/login", json={"email": f"bea-{tag}@example.com", "password": "long enough password"}
        )
        assert login.status_code == 401
        assert (await client.get(f"/store/bad-input-{tag}")).status_code == 404


async def test_taken_or_malformed_slug_is_refused_and_nothing_changes(system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=system.base_url) as first,
        httpx.AsyncClient(base_url=system.base_url) as second,
    ):
        taken = (await sign_up(first))["company"]["slug"]
        mine = (await sign_up(second))["company"]

        conflict = await second.patch("/api/v1/company", json={"slug": taken})
        assert conflict.status_code == 409
        assert conflict.headers["content-type"].startswith(PROBLEM_JSON)

        malformed = await second.patch("/api/v1/company", json={"slug": "Not A Slug!"})
        assert malformed.status_code in (400, 422)
        assert malformed.headers["content-type"].startswith(PROBLEM_JSON)

        assert (await second.get("/api/v1/company")).json()["slug"] == mine["slug"]
        assert (await second.get(f"/store/{mine['slug']}")).status_code == 200


async def test_another_tenants_audit_entry_is_not_found(system: RunningSystem):
    async with httpx.AsyncClient(base_url=system.base_url) as alice, httpx.AsyncClient(base_url=system.base_url) as bob:
        alice_company = (await sign_up(alice))["company"]
        await sign_up(bob)

        async def alices_entry() -> list[dict[str, Any]]:
            return await audit_entries(alice, action="CompanyCreated")

        [entry] = await wait_until(alices_entry, within=20, what="Alice's CompanyCreated entry")
        assert (await alice.get(f"/api/v1/audit-logs/{entry['id']}")).status_code == 200

        stolen = await bob.get(f"/api/v1/audit-logs/{entry['id']}")
        assert stolen.status_code == 404
        assert stolen.headers["content-type"].startswith(PROBLEM_JSON)
        assert await audit_entries(bob, entityId=alice_company["id"]) == []


async def test_unauthenticated_api_call_is_refused(system: RunningSystem):
    async with httpx.AsyncClient(base_url=system.base_url) as client:
        response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


async def test_services_refuse_calls_that_skip_the_gateway(full_system: RunningSystem):
    async with httpx.AsyncClient() as client:
        for service, url in full_system.service_urls.items():
            response = await client.get(f"{url}/openapi.json")
            assert response.status_code == 401, service
            assert response.headers["content-type"].startswith(PROBLEM_JSON)
        forged = await client.get(
            f"{full_system.service_urls['identity']}/api/v1/me", headers={"X-Distribu-Context": "forged.token.value"}
        )
        assert forged.status_code == 401


async def test_broker_outage_delays_events_and_loses_none(full_system: RunningSystem):
    proxy = full_system.identity_broker_proxy
    assert proxy is not None
    async with httpx.AsyncClient(base_url=full_system.base_url) as client:
        proxy.pause()
        try:
            # The user's request succeeds while identity's relay cannot reach the broker.
            company = (await sign_up(client))["company"]

            async def publish_failed() -> dict[str, Any] | None:
                # The relay tried, failed and kept the event: attempts counted, not published.
                return await fetch_one(
                    database_urls(full_system)["identity"],
                    "SELECT attempts FROM outbox WHERE company_id = :company AND published_at IS NULL AND attempts > 0",
                    company=uuid.UUID(company["id"]),
                )

            await wait_until(publish_failed, within=30, what="identity's relay to fail publishing CompanyCreated")
            assert await audit_entries(client, entityId=company["id"], action="CompanyCreated") == []
        finally:
            proxy.resume()

        async def delivered() -> list[dict[str, Any]]:
            return await audit_entries(client, entityId=company["id"], action="CompanyCreated")

        [entry] = await wait_until(delivered, within=60, what="the delayed CompanyCreated")
        assert entry["entityId"] == company["id"]
        signup = {"CompanyCreated", "UserCreated", "MembershipCreated", "TrialStarted"}

        async def all_of_signup() -> set[str] | None:
            actions = {item["action"] for item in await audit_entries(client)}
            return actions if signup <= actions else None

        # The rest of the sign-up's events were held with it; they may come in the consumer's next batch.
        await wait_until(all_of_signup, within=10, what="every event of the sign-up")
