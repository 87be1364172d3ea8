"""The people side end to end, through the gateway only: contacts signing in at the storefront with
their role kept current, staff roles and removals taking effect on the next request, API keys with
scopes, CSRF on cookie sessions, and the rate limits on password setup."""

import asyncio
import uuid
from typing import Any

import httpx

from gateway.csrf import CSRF_HEADER
from gateway.sessions import STAFF_COOKIE, STOREFRONT_COOKIE
from tests.support.api import PASSWORD, PROBLEM_JSON, audit_entries, send_csrf_token, sign_up, unique
from tests.support.events import wait_until
from tests.support.systems import RunningSystem

CONTACT_PASSWORD = "contact-password-1"


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def new_customer(owner: httpx.AsyncClient) -> dict[str, Any]:
    return created(
        await owner.post("/api/v1/customers", json={"email": f"{unique('buyer')}@example.com", "name": "Blue Plate"})
    )


async def new_contact(owner: httpx.AsyncClient, customer: dict[str, Any], role: str) -> dict[str, Any]:
    body = {"email": f"{unique('clerk')}@example.com", "name": "Casey Clerk", "role": role}
    return created(await owner.post(f"/api/v1/customers/{customer['id']}/contacts", json=body))


async def storefront_sign_in(client: httpx.AsyncClient, slug: str, email: str) -> dict[str, Any]:
    setup = await client.post(
        f"/store/{slug}/api/setup-password",
        json={"email": email, "password": CONTACT_PASSWORD, "confirmPassword": CONTACT_PASSWORD},
    )
    assert setup.status_code == 200, setup.text
    assert setup.json() == {"loginPath": f"/store/{slug}/login"}
    login = await client.post(f"/store/{slug}/api/login", json={"email": email, "password": CONTACT_PASSWORD})
    assert login.status_code == 200, login.text
    send_csrf_token(client)
    body: dict[str, Any] = login.json()
    return body


async def test_contact_role_change_and_removal_reach_the_contacts_next_request(system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=system.base_url) as owner,
        httpx.AsyncClient(base_url=system.base_url) as buyer,
    ):
        account = await sign_up(owner)
        slug = account["company"]["slug"]
        customer = await new_customer(owner)
        contact = await new_contact(owner, customer, "BUYER")

        signed_in = await storefront_sign_in(buyer, slug, contact["email"])
        assert (signed_in["contact"]["id"], signed_in["role"]) == (contact["id"], "BUYER")
        assert signed_in["customer"]["id"] == customer["id"]
        me = await buyer.get(f"/store/{slug}/api/me")
        assert (me.status_code, me.json()["role"]) == (200, "BUYER")

        changed = await owner.patch(
            f"/api/v1/customers/{customer['id']}/contacts/{contact['id']}", json={"role": "VIEWER"}
        )
        assert changed.status_code == 200, changed.text
        # The very next request sees the new role, without signing in again.
        assert (await buyer.get(f"/store/{slug}/api/me")).json()["role"] == "VIEWER"
        refused = await buyer.post(f"/store/{slug}/api/contacts", json={"email": "x@example.com", "role": "BUYER"})
        assert refused.status_code == 403

        removed = await owner.delete(f"/api/v1/customers/{customer['id']}/contacts/{contact['id']}")
        assert removed.status_code == 204
        after_removal = await buyer.get(f"/store/{slug}/api/me")
        assert after_removal.status_code == 401
        assert after_removal.headers["content-type"] == PROBLEM_JSON
        # The customer is untouched.
        assert (await owner.get(f"/api/v1/customers/{customer['id']}")).status_code == 200

        async def contact_history() -> list[dict[str, Any]] | None:
            entries = await audit_entries(owner, entityId=contact["id"])
            actions = {entry["action"] for entry in entries}
            wanted = {"CustomerContactCreated", "CustomerContactRoleChanged", "CustomerContactRemoved"}
            return entries if wanted <= actions else None

        entries = await wait_until(contact_history, within=20, what="the contact's audit entries")
        by_action = {entry["action"]: entry for entry in entries}
        role_changed = by_action["CustomerContactRoleChanged"]
        assert (role_changed["metadata"]["fromRole"], role_changed["metadata"]["toRole"]) == ("BUYER", "VIEWER")
        assert (role_changed["actorType"], role_changed["actorId"]) == ("USER", account["user"]["id"])
        assert role_changed["ipAddress"] == "127.0.0.1"
        assert by_action["CustomerContactCreated"]["metadata"]["role"] == "BUYER"
        signed_in_entries = await audit_entries(owner, action="StorefrontSignedIn", entityId=contact["id"])
        assert [(e["actorType"], e["actorId"]) for e in signed_in_entries] == [("CUSTOMER", contact["id"])]


async def test_storefront_session_is_valid_only_under_its_own_storefront(full_system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=full_system.base_url) as ours,
        httpx.AsyncClient(base_url=full_system.base_url) as theirs,
        httpx.AsyncClient(base_url=full_system.base_url) as buyer,
    ):
        our_slug = (await sign_up(ours))["company"]["slug"]
        their_slug = (await sign_up(theirs))["company"]["slug"]
        contact = await new_contact(ours, await new_customer(ours), "ADMIN")
        login = await buyer.post(
            f"/store/{our_slug}/api/setup-password",
            json={"email": contact["email"], "password": CONTACT_PASSWORD, "confirmPassword": CONTACT_PASSWORD},
        )
        assert login.status_code == 200
        response = await buyer.post(
            f"/store/{our_slug}/api/login", json={"email": contact["email"], "password": CONTACT_PASSWORD}
        )

        cookie = response.headers["set-cookie"]
        assert f"Path=/store/{our_slug}" in cookie
        assert "HttpOnly" in cookie
        token = response.cookies[STOREFRONT_COOKIE]
        # The same cookie presented on another storefront, and on the staff API, is nobody there.
        elsewhere = await buyer.get(f"/store/{their_slug}/api/me", headers={"Cookie": f"{STOREFRONT_COOKIE}={token}"})
        staff_api = await buyer.get("/api/v1/me", headers={"Cookie": f"{STAFF_COOKIE}={token}"})
        assert elsewhere.status_code == 401
        assert staff_api.status_code == 401

        # A storefront session's changes need the CSRF header too; without it nothing is created.
        colleague = {"email": f"{unique('colleague')}@example.com", "role": "VIEWER"}
        forged = await buyer.post(f"/store/{our_slug}/api/contacts", json=colleague)
        assert forged.status_code == 403
        assert "X-CSRF-Token" in forged.json()["detail"]
        listed = (await buyer.get(f"/store/{our_slug}/api/contacts")).json()["items"]
        assert colleague["email"] not in {item["email"] for item in listed}
        genuine = await buyer.post(
            f"/store/{our_slug}/api/contacts", json=colleague, headers={CSRF_HEADER: buyer.cookies["distribu_csrf"]}
        )
        assert genuine.status_code == 201, genuine.text

        logout = await buyer.post(
            f"/store/{our_slug}/api/logout", headers={CSRF_HEADER: buyer.cookies["distribu_csrf"]}
        )
        assert logout.status_code == 204
        assert (
            await buyer.get(f"/store/{our_slug}/api/me", headers={"Cookie": f"{STOREFRONT_COOKIE}={token}"})
        ).status_code == 401


async def test_staff_demotion_and_removal_apply_on_the_next_request(full_system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=full_system.base_url) as owner,
        httpx.AsyncClient(base_url=full_system.base_url) as admin,
    ):
        await sign_up(owner)
        email = f"{unique('admin')}@example.com"
        invite = created(await owner.post("/api/v1/invites", json={"email": email, "role": "ADMIN"}))
        token = invite["acceptPath"].split("token=", 1)[1]
        accepted = await admin.post(
            "/api/v1/invites/accept", json={"token": token, "name": "Adam Admin", "password": PASSWORD}
        )
        assert accepted.status_code == 200, accepted.text
        assert STAFF_COOKIE in accepted.cookies
        send_csrf_token(admin)
        assert (await admin.get("/api/v1/members")).status_code == 200

        membership_id = accepted.json()["membershipId"]
        demoted = await owner.patch(f"/api/v1/members/{membership_id}", json={"role": "MEMBER"})
        assert demoted.status_code == 200, demoted.text
        assert (await admin.get("/api/v1/members")).status_code == 403
        assert (await admin.get("/api/v1/me")).json()["role"] == "MEMBER"

        assert (await owner.delete(f"/api/v1/members/{membership_id}")).status_code == 204
        assert (await admin.get("/api/v1/me")).status_code == 401


async def test_api_keys_act_for_their_company_within_their_scopes_until_revoked(full_system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=full_system.base_url) as owner,
        httpx.AsyncClient(base_url=full_system.base_url) as other_owner,
        httpx.AsyncClient(base_url=full_system.base_url) as integrator,
    ):
        await sign_up(owner)
        await sign_up(other_owner)
        their_customer = await new_customer(other_owner)
        key = created(await owner.post("/api/v1/api-keys", json={"name": "ERP sync", "scopes": ["customers:write"]}))
        secret = key["secret"]
        assert secret.startswith(key["prefix"])
        integrator.headers["Authorization"] = f"Bearer {secret}"

        made = await integrator.post(
            "/api/v1/customers", json={"email": f"{unique('erp')}@example.com", "name": "ERP Co"}
        )
        assert made.status_code == 201, made.text  # no CSRF token: a key is not a cookie
        assert (await integrator.get("/api/v1/customers")).status_code == 200  # write implies read
        assert (await integrator.get(f"/api/v1/customers/{their_customer['id']}")).status_code == 404

        no_scope = await integrator.get("/api/v1/products")
        staff_only = await integrator.get("/api/v1/members")
        assert (no_scope.status_code, no_scope.json()["detail"]) == (
            403,
            "This API key does not have the catalog:read scope.",
        )
        assert staff_only.status_code == 403

        listed = (await owner.get("/api/v1/api-keys")).json()["items"]
        [mine] = [item for item in listed if item["id"] == key["id"]]
        assert mine["lastUsedAt"] is not None
        assert "secret" not in mine

        async def created_by_key() -> list[dict[str, Any]]:
            return await audit_entries(owner, action="CustomerCreated", entityId=made.json()["id"])

        [entry] = await wait_until(created_by_key, within=20, what="CustomerCreated by the key")
        assert entry["actorType"] == "SYSTEM"
        assert entry["metadata"]["apiKeyId"] == key["id"]

        assert (await owner.delete(f"/api/v1/api-keys/{key['id']}")).status_code == 204
        revoked = await integrator.get("/api/v1/customers")
        assert revoked.status_code == 401
        assert revoked.headers["content-type"] == PROBLEM_JSON
        garbage = await integrator.get("/api/v1/customers", headers={"Authorization": "Bearer dk_not-a-key"})
        assert garbage.status_code == 401


async def test_cookie_sessions_need_the_csrf_header_for_changes(full_system: RunningSystem):
    async with httpx.AsyncClient(base_url=full_system.base_url) as owner:
        await sign_up(owner)
        token = owner.headers.pop(CSRF_HEADER)
        body = {"email": f"{unique('csrf')}@example.com", "name": "Forged Co"}

        forged = await owner.post("/api/v1/customers", json=body)
        wrong = await owner.post("/api/v1/customers", json=body, headers={CSRF_HEADER: "x" * 43})
        reads = await owner.get("/api/v1/customers")
        genuine = await owner.post("/api/v1/customers", json=body, headers={CSRF_HEADER: token})

        assert (forged.status_code, wrong.status_code) == (403, 403)
        assert forged.headers["content-type"] == PROBLEM_JSON
        assert reads.status_code == 200
        assert reads.json()["items"] == []
        assert genuine.status_code == 201


async def test_password_setup_is_rate_limited_per_email_and_per_address(full_system: RunningSystem):
    async with httpx.AsyncClient(base_url=full_system.base_url) as owner:
        slug = (await sign_up(owner))["company"]["slug"]
        path = f"/store/{slug}/api/setup-password"
        body = {"email": "guess@example.com", "password": "guessing-1", "confirmPassword": "guessing-1"}

        per_email = [await owner.post(path, json=body) for _ in range(6)]
        assert [r.status_code for r in per_email[:5]] == [400] * 5
        assert per_email[5].status_code == 429
        assert int(per_email[5].headers["Retry-After"]) > 0
        assert "password setup attempts" in per_email[5].json()["detail"]

        per_address = await asyncio.gather(
            *(owner.post(path, json={**body, "email": f"{unique('guess')}@example.com"}) for _ in range(16))
        )
        assert 429 in {response.status_code for response in per_address}


async def test_staff_login_answers_alike_for_unknown_emails_and_wrong_passwords(full_system: RunningSystem):
    async with httpx.AsyncClient(base_url=full_system.base_url) as client:
        account = await sign_up(client)
        unknown = await client.post(
            "/api/v1/auth/login", json={"email": f"{uuid.uuid4().hex}@example.com", "password": "x" * 12}
        )
        wrong = await client.post("/api/v1/auth/login", json={"email": account["user"]["email"], "password": "x" * 12})

    assert unknown.status_code == wrong.status_code == 401
    for response in (unknown, wrong):
        body = response.json()
        body.pop("instance", None)
        assert body == {
            "type": "https://distribu.app/problems/unauthorized",
            "title": "Not signed in",
            "status": 401,
            "detail": "Email or password is incorrect.",
        }
