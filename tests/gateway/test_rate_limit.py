"""Login rate limiting: per email and per client IP, fixed 15-minute window, 429 + Retry-After."""

from tests.gateway.conftest import WRONG_PASSWORD, GatewayFactory, GatewayHarness, unique_email


async def _attempt(gateway: GatewayHarness, email: str, password: str = WRONG_PASSWORD) -> int:
    response = await gateway.client.post("/api/v1/auth/login", json={"email": email, "password": password})
    if response.status_code == 429:
        retry_after = int(response.headers["retry-after"])
        assert 0 < retry_after <= 15 * 60
        assert response.headers["content-type"] == "application/problem+json"
    return response.status_code


async def test_sixth_attempt_for_one_email_is_refused_and_not_forwarded(gateway: GatewayHarness) -> None:
    email = unique_email()

    statuses = [await _attempt(gateway, email) for _ in range(5)]
    refused = await _attempt(gateway, email.upper())

    assert statuses == [401] * 5
    assert refused == 429
    assert len(gateway.services["identity"].calls_to("/api/v1/auth/login")) == 5


async def test_attempts_from_one_address_are_limited_across_emails(make_gateway: GatewayFactory) -> None:
    async with make_gateway(login_attempts_per_ip=3) as gateway:
        statuses = [await _attempt(gateway, unique_email()) for _ in range(4)]
        async with gateway.client_from("192.0.2.77") as elsewhere:
            other = await elsewhere.post("/api/v1/auth/login", json={"email": unique_email(), "password": "pw"})

    assert statuses == [401, 401, 401, 429]
    assert other.status_code == 200


async def test_successful_sign_in_clears_the_email_counter(gateway: GatewayHarness) -> None:
    email = unique_email()
    for _ in range(4):
        await _attempt(gateway, email)

    assert await _attempt(gateway, email, "right-password") == 200
    assert [await _attempt(gateway, email) for _ in range(5)] == [401] * 5
    assert await _attempt(gateway, email) == 429
