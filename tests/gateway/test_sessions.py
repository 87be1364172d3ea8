"""Staff sessions: created on signup and login, rotated, idle and absolute expiry, logout."""

import json
import uuid
from datetime import timedelta

from gateway.sessions import STAFF_COOKIE
from kit.db import utcnow
from tests.gateway.conftest import WRONG_PASSWORD, GatewayFactory, GatewayHarness, unique_email
from tests.support.events import wait_until


def _session_key(gateway: GatewayHarness, token: str) -> str:
    return f"{gateway.namespace}:session:{token}"


async def test_signup_opens_a_session_in_redis_behind_an_http_only_cookie(gateway: GatewayHarness) -> None:
    response = await gateway.client.post(
        "/api/v1/signup",
        json={"companyName": "Acme", "name": "Ada", "email": unique_email(), "password": "s3cret-pass"},
    )

    assert response.status_code == 201
    body = response.json()
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{STAFF_COOKIE}=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=lax", "Max-Age=43200"):
        assert attribute in cookie
    assert "Secure" not in cookie
    token = response.cookies[STAFF_COOKIE]
    stored = json.loads(str(await gateway.redis.get(_session_key(gateway, token))))
    assert stored["kind"] == "staff"
    assert stored["principal"] == {"type": "user", "id": body["user"]["id"]}
    # The role is not frozen into the session: it is read from the principal directory on each request.
    assert stored["ref"] == body["membershipId"]
    assert token.startswith(uuid.UUID(body["membershipId"]).hex + ".")
    assert stored["companyId"] == body["company"]["id"]
    assert 3590 <= await gateway.redis.ttl(_session_key(gateway, token)) <= 3600


async def test_cookie_is_secure_when_configured(make_gateway: GatewayFactory) -> None:
    async with make_gateway(cookie_secure=True) as gateway:
        response = await gateway.client.post(
            "/api/v1/signup", json={"companyName": "A", "name": "B", "email": unique_email(), "password": "x" * 8}
        )

    assert "Secure" in response.headers["set-cookie"]


async def test_login_rotates_the_session(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    old_token = gateway.client.cookies[STAFF_COOKIE]

    response = await gateway.client.post("/api/v1/auth/login", json={"email": unique_email(), "password": "pw-12345"})

    new_token = response.cookies[STAFF_COOKIE]
    assert response.status_code == 200
    assert new_token != old_token
    assert await gateway.redis.exists(_session_key(gateway, old_token)) == 0
    assert await gateway.redis.exists(_session_key(gateway, new_token)) == 1


async def test_failed_login_opens_no_session(gateway: GatewayHarness) -> None:
    response = await gateway.client.post(
        "/api/v1/auth/login", json={"email": unique_email(), "password": WRONG_PASSWORD}
    )

    assert response.status_code == 401
    assert response.json()["detail"] == "Email or password is incorrect."
    assert STAFF_COOKIE not in response.cookies


async def test_each_use_restarts_the_idle_timer(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    key = _session_key(gateway, gateway.client.cookies[STAFF_COOKIE])
    await gateway.redis.expire(key, 5)

    assert (await gateway.client.get("/api/v1/me")).status_code == 200
    assert await gateway.redis.ttl(key) > 3500


async def test_idle_session_is_refused(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    # The idle timeout is the key's TTL: once it lapses Redis drops the key.
    key = _session_key(gateway, gateway.client.cookies[STAFF_COOKIE])
    await gateway.redis.pexpire(key, 1)

    async def lapsed() -> bool:
        return not await gateway.redis.exists(key)

    await wait_until(lapsed, what="the idle session's key to lapse")

    response = await gateway.client.get("/api/v1/me")

    assert response.status_code == 401


async def test_session_past_its_absolute_lifetime_is_refused_and_removed(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    key = _session_key(gateway, gateway.client.cookies[STAFF_COOKIE])
    stored = json.loads(str(await gateway.redis.get(key)))
    stored["createdAt"] = (utcnow() - timedelta(hours=12, seconds=1)).isoformat()
    await gateway.redis.set(key, json.dumps(stored), ex=3600)

    response = await gateway.client.get("/api/v1/me")

    assert response.status_code == 401
    assert await gateway.redis.exists(key) == 0


async def test_logout_ends_the_session_and_clears_the_cookie(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    token = gateway.client.cookies[STAFF_COOKIE]

    response = await gateway.client.post("/api/v1/auth/logout")

    assert response.status_code == 204
    assert f'{STAFF_COOKIE}=""' in response.headers["set-cookie"]
    assert await gateway.redis.exists(_session_key(gateway, token)) == 0
    # The old cookie no longer works even if a client keeps sending it.
    gateway.client.cookies.set(STAFF_COOKIE, token)
    assert (await gateway.client.get("/api/v1/me")).status_code == 401


async def test_logout_without_a_session_still_succeeds(gateway: GatewayHarness) -> None:
    assert (await gateway.client.post("/api/v1/auth/logout")).status_code == 204


async def test_garbage_cookie_is_treated_as_signed_out(gateway: GatewayHarness) -> None:
    gateway.client.cookies.set(STAFF_COOKIE, "not a token: {}")

    assert (await gateway.client.get("/api/v1/me")).status_code == 401
