"""CSRF tokens bound to the session: another session's token, or a pair the caller made up, is refused."""

import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from gateway.csrf import CSRF_COOKIE, CSRF_HEADER
from gateway.pipeline import Gateway
from gateway.sessions import SECURE_COOKIES, STAFF_COOKIE, STOREFRONT_COOKIE, StoredSession
from tests.gateway.conftest import GatewayFactory, GatewayHarness, unique_email

# What an attacker can plant from a sibling subdomain (cookie) and send from its own page (field/header).
PLANTED = "attacker-chosen-token-0123456789abcdefghij"


@asynccontextmanager
async def _another_browser(gateway: GatewayHarness) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway.client_from(gateway.client_ip) as client:
        yield client


def _pipeline(gateway: GatewayHarness) -> Gateway:
    pipeline: Gateway = gateway.app.state.gateway
    return pipeline


async def _page_token(client: httpx.AsyncClient, page: str) -> str:
    response = await client.get(page)
    found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert found is not None, response.text
    return found.group(1)


async def test_sign_in_sets_the_csrf_cookie_to_a_token_bound_to_the_new_session(gateway: GatewayHarness) -> None:
    presented = "attacker-planted-before-sign-in-0123456789"
    gateway.client.cookies.set(CSRF_COOKIE, presented, domain="gateway.test")

    await gateway.sign_up()

    token = gateway.client.cookies[CSRF_COOKIE]
    assert token != presented
    assert token == _pipeline(gateway).csrf_tokens.bound_to(gateway.client.cookies[STAFF_COOKIE])
    # The pages' forms carry the same token scripts read from the cookie.
    assert await _page_token(gateway.client, "/dashboard/settings") == token


async def test_json_change_with_another_sessions_token_is_refused_and_its_own_passes(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    victim_session = gateway.client.cookies[STAFF_COOKIE]
    async with _another_browser(gateway) as attacker:
        await gateway.sign_up(client=attacker)
        attacker_token = attacker.cookies[CSRF_COOKIE]

        # The victim's session cookie, with the attacker's own (valid, for its session) token in cookie and header.
        forged = await attacker.post(
            "/api/v1/products",
            json={"sku": "X"},
            headers={
                "Cookie": f"{STAFF_COOKIE}={victim_session}; {CSRF_COOKIE}={attacker_token}",
                CSRF_HEADER: attacker_token,
            },
        )

    genuine = await gateway.client.post("/api/v1/products", json={"sku": "mine"})

    assert forged.status_code == 403
    assert CSRF_HEADER in forged.json()["detail"]
    assert genuine.status_code == 200
    forwarded = gateway.services["catalog"].calls_to("/api/v1/products")
    assert [json.loads(call.body)["sku"] for call in forwarded] == ["mine"]


async def test_sign_in_form_takes_the_double_submit_token_then_sets_the_one_bound_to_the_session(
    gateway: GatewayHarness,
) -> None:
    token = await _page_token(gateway.client, "/login")

    missing = await gateway.client.post("/login", data={"email": unique_email(), "password": "right"})
    signed_in = await gateway.client.post(
        "/login", data={"csrf_token": token, "email": unique_email(), "password": "x"}
    )

    assert [missing.status_code, signed_in.status_code] == [403, 303]
    session = gateway.client.cookies[STAFF_COOKIE]
    assert gateway.client.cookies[CSRF_COOKIE] == _pipeline(gateway).csrf_tokens.bound_to(session) != token


async def test_json_change_with_a_made_up_cookie_and_header_pair_is_refused(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    gateway.client.cookies.set(CSRF_COOKIE, PLANTED, domain="gateway.test")

    forged = await gateway.client.post("/api/v1/products", json={"sku": "X"}, headers={CSRF_HEADER: PLANTED})

    assert forged.status_code == 403
    assert gateway.services["catalog"].calls_to("/api/v1/products") == []


async def test_signing_in_again_retires_the_previous_sessions_token(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    old_token = gateway.client.cookies[CSRF_COOKIE]

    await gateway.client.post("/api/v1/auth/login", json={"email": unique_email(), "password": "pw-12345"})
    stale = await gateway.client.post("/api/v1/products", json={}, headers={CSRF_HEADER: old_token})
    fresh = await gateway.client.post(
        "/api/v1/products", json={}, headers={CSRF_HEADER: gateway.client.cookies[CSRF_COOKIE]}
    )

    assert gateway.client.cookies[CSRF_COOKIE] != old_token
    assert [stale.status_code, fresh.status_code] == [403, 200]


async def test_form_post_with_a_made_up_cookie_and_field_pair_is_refused(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    gateway.client.cookies.set(CSRF_COOKIE, PLANTED, domain="gateway.test")

    forged = await gateway.client.post(
        "/dashboard/settings", data={"csrf_token": PLANTED, "name": "Evil", "slug": "evil"}
    )

    assert forged.status_code == 403
    assert "This form has expired" in forged.text
    assert [call for call in gateway.services["identity"].received if call.method == "PATCH"] == []


async def test_form_post_with_another_sessions_page_token_is_refused_and_its_own_passes(
    gateway: GatewayHarness,
) -> None:
    await gateway.sign_up()
    victim_session = gateway.client.cookies[STAFF_COOKIE]
    async with _another_browser(gateway) as attacker:
        await gateway.sign_up(client=attacker)
        attacker_token = await _page_token(attacker, "/dashboard/settings")
        attacker.cookies.set(STAFF_COOKIE, victim_session, domain="gateway.test")
        attacker.cookies.set(CSRF_COOKIE, attacker_token, domain="gateway.test")

        forged = await attacker.post(
            "/dashboard/settings", data={"csrf_token": attacker_token, "name": "E", "slug": "e"}
        )
    victim_token = await _page_token(gateway.client, "/dashboard/settings")
    genuine = await gateway.client.post(
        "/dashboard/settings", data={"csrf_token": victim_token, "name": "New", "slug": "new"}
    )

    assert forged.status_code == 403
    assert genuine.status_code == 303
    assert genuine.headers["location"] == "/dashboard/settings"
    patches = [call for call in gateway.services["identity"].received if call.method == "PATCH"]
    assert [json.loads(call.body)["slug"] for call in patches] == ["new"]


async def _storefront_session(gateway: GatewayHarness, slug: str) -> StoredSession:
    """A contact signed in at `slug`'s storefront, as identity's sign-in and principal directory leave it."""
    company_id, contact_id = uuid.uuid4(), uuid.uuid4()
    entry = {"companyId": str(company_id), "name": "Acme Distributors", "slug": slug}
    await gateway.redis.set(f"{gateway.namespace}:storefront:{slug}", json.dumps(entry))
    sessions = _pipeline(gateway).sessions
    principal = {
        "ref": str(contact_id),
        "type": "contact",
        "id": str(contact_id),
        "companyId": str(company_id),
        "role": "ADMIN",
        "customerId": str(uuid.uuid4()),
    }
    await gateway.redis.set(sessions.principal_key(contact_id), json.dumps(principal))
    return await sessions.create(
        kind="storefront", ref=contact_id, principal_type="contact", principal_id=contact_id, company_id=company_id
    )


async def test_storefront_change_needs_the_storefront_sessions_token_not_the_staff_one(
    gateway: GatewayHarness,
) -> None:
    await gateway.sign_up()
    staff_token = gateway.client.cookies[CSRF_COOKIE]
    session = await _storefront_session(gateway, "acme")
    gateway.client.cookies.set(STOREFRONT_COOKIE, session.token, domain="gateway.test", path="/store/acme")

    with_staff_token = await gateway.client.post(
        "/store/acme/api/contacts", json={}, headers={CSRF_HEADER: staff_token}
    )
    store_token = _pipeline(gateway).csrf_tokens.bound_to(session.token)
    with_store_token = await gateway.client.post(
        "/store/acme/api/contacts", json={}, headers={CSRF_HEADER: store_token}
    )

    assert with_staff_token.status_code == 403
    assert with_store_token.status_code == 200
    assert with_store_token.json()["path"] == "/storefront/contacts"


async def test_secure_cookies_get_host_and_secure_prefixes_and_are_the_ones_read(make_gateway: GatewayFactory) -> None:
    async with make_gateway(cookie_secure=True) as gateway:
        # Secure cookies only travel over HTTPS: this client speaks to the gateway as an HTTPS origin.
        transport = httpx.ASGITransport(app=gateway.app, client=(gateway.client_ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="https://gateway.test") as browser:
            signup = await browser.post(
                "/api/v1/signup",
                json={"companyName": "A", "name": "B", "email": unique_email(), "password": "x" * 8},
            )
            set_cookies = signup.headers.get_list("set-cookie")
            browser.headers[CSRF_HEADER] = browser.cookies[SECURE_COOKIES.csrf]
            me = await browser.get("/api/v1/me")
            change = await browser.post("/api/v1/products", json={})

            session = await _storefront_session(gateway, "acme")
            browser.cookies.set(SECURE_COOKIES.storefront, session.token, domain="gateway.test", path="/store/acme")
            store_token = _pipeline(gateway).csrf_tokens.bound_to(session.token)
            store_me = await browser.get("/store/acme/api/me")
            store_logout = await browser.post("/store/acme/api/logout", headers={CSRF_HEADER: store_token})

            # The plain names mean nothing here: a cookie planted under them is not a session.
            plain = await browser.get(
                "/api/v1/me", headers={"Cookie": f"{STAFF_COOKIE}={browser.cookies[SECURE_COOKIES.staff]}"}
            )

    staff_cookie = next(value for value in set_cookies if value.startswith(f"{SECURE_COOKIES.staff}="))
    csrf_cookie = next(value for value in set_cookies if value.startswith(f"{SECURE_COOKIES.csrf}="))
    for cookie in (staff_cookie, csrf_cookie):
        assert "Secure" in cookie
        assert "Path=/;" in cookie or cookie.endswith("Path=/")
        assert "Domain" not in cookie
    assert SECURE_COOKIES.staff == f"__Host-{STAFF_COOKIE}"
    assert SECURE_COOKIES.csrf == f"__Host-{CSRF_COOKIE}"
    assert [me.status_code, change.status_code, plain.status_code] == [200, 200, 401]
    identity = gateway.services["identity"]
    assert identity.context_of(identity.calls_to("/storefront/me")[-1]).principal.type == "contact"
    assert store_me.status_code == 200
    assert store_logout.status_code == 204
    cleared = store_logout.headers["set-cookie"]
    assert cleared.startswith(f"__Secure-{STOREFRONT_COOKIE}=")
    assert "Path=/store/acme" in cleared
    assert "Secure" in cleared
