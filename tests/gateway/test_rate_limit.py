"""Per-client-IP limits: reserved before forwarding, given back when the answer does not count."""

# Per-account limits are identity's: tests/identity/test_credential_limits.py.

import asyncio
import uuid
from collections.abc import Callable

from starlette.responses import JSONResponse, Response

from tests.gateway.conftest import (
    WRONG_PASSWORD,
    FakeService,
    GatewayFactory,
    GatewayHarness,
    Received,
    unique_email,
)


async def _attempt(gateway: GatewayHarness, email: str, password: str = WRONG_PASSWORD) -> int:
    response = await gateway.client.post("/api/v1/auth/login", json={"email": email, "password": password})
    if response.status_code == 429:
        retry_after = int(response.headers["retry-after"])
        assert 0 < retry_after <= 15 * 60
        assert response.headers["content-type"] == "application/problem+json"
    return response.status_code


def _answering(service: FakeService, path_prefix: str, answer: Callable[[Received], Response]) -> None:
    """Make the stand-in answer `path_prefix` calls with `answer`, everything else as before."""
    original = service.answer

    def replaced(received: Received) -> Response:
        return answer(received) if received.path.startswith(path_prefix) else original(received)

    service.answer = replaced  # type: ignore[method-assign]


def _problem(status: int) -> JSONResponse:
    body = {"type": "about:blank", "title": "Problem", "status": status, "detail": "refused"}
    headers = {"Retry-After": "30"} if status == 429 else None
    return JSONResponse(body, status, media_type="application/problem+json", headers=headers)


def _storefront(gateway: GatewayHarness, *slugs: str) -> str:
    """A storefront the stand-in identity resolves at each of `slugs` (the first is its own)."""
    company_id = str(uuid.uuid4())
    for slug in slugs:
        gateway.services["identity"].storefronts[slug] = {"companyId": company_id, "name": "Rate", "slug": slugs[0]}
    return company_id


async def test_attempts_from_one_address_are_limited_across_emails(make_gateway: GatewayFactory) -> None:
    async with make_gateway(login_attempts_per_ip=3) as gateway:
        statuses = [await _attempt(gateway, unique_email()) for _ in range(4)]
        async with gateway.client_from("192.0.2.77") as elsewhere:
            other = await elsewhere.post("/api/v1/auth/login", json={"email": unique_email(), "password": "pw"})

    assert statuses == [401, 401, 401, 429]
    assert other.status_code == 200


async def test_the_gateway_no_longer_limits_per_email_identity_does(make_gateway: GatewayFactory) -> None:
    async with make_gateway(login_attempts_per_ip=50) as gateway:
        email = unique_email()
        statuses = [await _attempt(gateway, email) for _ in range(8)]

    # Every attempt reaches identity, which keeps the one per-account count across routes.
    assert statuses == [401] * 8
    assert len(gateway.services["identity"].calls_to("/api/v1/auth/login")) == 8


async def test_successful_sign_ins_do_not_use_up_an_offices_allowance(make_gateway: GatewayFactory) -> None:
    async with make_gateway(login_attempts_per_ip=3) as gateway:
        signed_in = [await _attempt(gateway, unique_email(), "right-password") for _ in range(6)]
        failed = [await _attempt(gateway, unique_email()) for _ in range(4)]

    assert signed_in == [200] * 6
    assert failed == [401, 401, 401, 429]


async def test_refused_attempts_do_not_count(make_gateway: GatewayFactory) -> None:
    async with make_gateway(login_attempts_per_ip=2) as gateway:
        failed = [await _attempt(gateway, unique_email()) for _ in range(2)]
        refused = [await _attempt(gateway, unique_email()) for _ in range(5)]
        counters = [
            await gateway.redis.get(key) async for key in gateway.redis.scan_iter(f"{gateway.namespace}:ratelimit:*")
        ]

    assert (failed, refused) == ([401, 401], [429] * 5)
    assert counters == ["2"]
    assert len(gateway.services["identity"].calls_to("/api/v1/auth/login")) == 2


async def test_attempts_identity_refuses_for_an_account_do_not_count_for_the_address(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway(login_attempts_per_ip=2) as gateway:
        _answering(gateway.services["identity"], "/api/v1/auth/login", lambda _: _problem(429))
        backing_off = [await _attempt(gateway, unique_email()) for _ in range(5)]
        _answering(gateway.services["identity"], "/api/v1/auth/login", lambda _: _problem(401))
        failing = [await _attempt(gateway, unique_email()) for _ in range(3)]

    assert backing_off == [429] * 5
    assert failing == [401, 401, 429]
    assert len(gateway.services["identity"].calls_to("/api/v1/auth/login")) == 7


async def test_concurrent_attempts_are_bounded_and_those_refused_leave_no_trace(make_gateway: GatewayFactory) -> None:
    async with make_gateway(login_attempts_per_ip=3) as gateway:
        statuses = await asyncio.gather(*(_attempt(gateway, unique_email()) for _ in range(10)))
        counters = [
            await gateway.redis.get(key) async for key in gateway.redis.scan_iter(f"{gateway.namespace}:ratelimit:*")
        ]

    assert sorted(statuses) == [401] * 3 + [429] * 7
    assert counters == ["3"]
    assert len(gateway.services["identity"].calls_to("/api/v1/auth/login")) == 3


async def test_accepting_invites_shares_the_addresss_sign_in_allowance(make_gateway: GatewayFactory) -> None:
    async with make_gateway(login_attempts_per_ip=2) as gateway:
        _answering(gateway.services["identity"], "/api/v1/invites/accept", lambda _: _problem(401))
        failed = [await _attempt(gateway, unique_email()) for _ in range(2)]
        accept = await gateway.client.post("/api/v1/invites/accept", json={"token": "t" * 43, "password": "guess"})

    assert failed == [401, 401]
    assert accept.status_code == 429
    assert "sign-in attempts" in accept.json()["detail"]
    assert gateway.services["identity"].calls_to("/api/v1/invites/accept") == []


async def test_storefront_limits_count_per_company_and_other_spellings_of_a_slug_are_not_found(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway(login_attempts_per_ip=2) as gateway:
        # A directory that (like identity before) answers for another spelling of the slug too.
        _storefront(gateway, "rate-x", "RATE-x", " rate-x")
        _answering(gateway.services["identity"], "/storefront/", lambda _: _problem(401))
        body = {"email": unique_email(), "password": WRONG_PASSWORD}
        own = [(await gateway.client.post("/store/rate-x/api/login", json=body)).status_code for _ in range(3)]
        shouted = await gateway.client.post("/store/RATE-x/api/login", json=body)
        spaced = await gateway.client.post("/store/%20rate-x/api/setup-password", json=body)

    assert own == [401, 401, 429]
    assert (shouted.status_code, spaced.status_code) == (404, 404)
    assert len(gateway.services["identity"].calls_to("/storefront/login")) == 2
    assert gateway.services["identity"].calls_to("/storefront/setup-password") == []


async def test_failed_signups_from_one_address_are_limited(make_gateway: GatewayFactory) -> None:
    async with make_gateway(signup_attempts_per_ip=2) as gateway:
        body = {"companyName": "", "name": "Ada", "email": unique_email(), "password": "s3cret-pass"}
        statuses = [(await gateway.client.post("/api/v1/signup", json=body)).status_code for _ in range(3)]

    assert statuses == [422, 422, 429]
    assert len(gateway.services["identity"].calls_to("/api/v1/signup")) == 2


async def test_companies_created_from_one_address_are_limited_per_day(make_gateway: GatewayFactory) -> None:
    async with make_gateway(trials_per_ip_per_day=2) as gateway:

        async def sign_up() -> int:
            body = {"companyName": "Acme", "name": "Ada", "email": unique_email(), "password": "s3cret-pass"}
            return (await gateway.client.post("/api/v1/signup", json=body)).status_code

        created = await asyncio.gather(*(sign_up() for _ in range(5)))
        refused = await gateway.client.post(
            "/api/v1/signup", json={"companyName": "Acme", "name": "A", "email": unique_email(), "password": "pw"}
        )

    assert sorted(created) == [201, 201, 429, 429, 429]
    assert refused.status_code == 429
    assert "today" in refused.json()["detail"]
    assert 0 < int(refused.headers["retry-after"]) <= 24 * 60 * 60
    assert len(gateway.services["identity"].calls_to("/api/v1/signup")) == 2


async def test_invite_lookups_from_one_address_are_limited(make_gateway: GatewayFactory) -> None:
    async with make_gateway(invite_lookups_per_ip=2) as gateway:
        statuses = [
            (await gateway.client.post("/api/v1/invites/lookup", json={"token": "t" * 43})).status_code
            for _ in range(3)
        ]

    assert statuses == [200, 200, 429]
    assert len(gateway.services["identity"].calls_to("/api/v1/invites/lookup")) == 2
