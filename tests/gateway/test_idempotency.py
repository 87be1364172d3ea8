"""`Idempotency-Key` on the API's POSTs (gateway/idempotency.py): through the running systems' gateway, in
front of the real services (full topology on Redis, embedded mode on its in-process stand-in), and the
gateway's own mechanics in front of stand-in services."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from gateway.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from tests.gateway.conftest import GatewayFactory, GatewayHarness
from tests.support.api import PASSWORD, PROBLEM_JSON, send_csrf_token, sign_up, unique
from tests.support.systems import RunningSystem

ADDRESS = {"label": "Dock 4", "line1": "1 Harbour Road", "city": "Springfield", "postalCode": "62704", "country": "US"}


@pytest.fixture(params=["full", "embedded"])
def system(request: pytest.FixtureRequest) -> RunningSystem:
    running: RunningSystem = request.getfixturevalue(f"{request.param}_system")
    return running


def a_key() -> dict[str, str]:
    return {IDEMPOTENCY_HEADER: str(uuid.uuid4())}


def customer_body() -> dict[str, str]:
    return {"email": f"{unique('buyer')}@example.com", "name": "Blue Plate"}


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    assert REPLAYED_HEADER not in response.headers
    body: dict[str, Any] = response.json()
    return body


async def customer_ids(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/api/v1/customers", params={"limit": 200})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def assert_replay_of(replay: httpx.Response, first: httpx.Response) -> None:
    assert replay.status_code == first.status_code
    assert replay.headers[REPLAYED_HEADER] == "true"
    assert replay.headers["content-type"] == first.headers["content-type"]
    assert replay.content == first.content


async def test_same_key_and_body_replays_the_first_answer_and_creates_nothing_more(system: RunningSystem):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as owner:
        await sign_up(owner)
        key, body = a_key(), customer_body()

        first = await owner.post("/api/v1/customers", json=body, headers=key)
        customer = created(first)
        replay = await owner.post("/api/v1/customers", json=body, headers=key)

        assert_replay_of(replay, first)
        assert replay.json()["id"] == customer["id"]
        assert await customer_ids(owner) == [customer["id"]]


async def test_same_key_with_another_body_is_refused_and_creates_nothing(system: RunningSystem):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as owner:
        await sign_up(owner)
        key = a_key()
        customer = created(await owner.post("/api/v1/customers", json=customer_body(), headers=key))

        refused = await owner.post("/api/v1/customers", json=customer_body(), headers=key)
        # The same body on another path is another request too.
        elsewhere = await owner.post(f"/api/v1/customers/{customer['id']}/addresses", json=ADDRESS, headers=key)

        for response in (refused, elsewhere):
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == PROBLEM_JSON
            assert IDEMPOTENCY_HEADER in response.json()["detail"]
        assert await customer_ids(owner) == [customer["id"]]
        addresses = await owner.get(f"/api/v1/customers/{customer['id']}/addresses")
        assert addresses.json()["items"] == []


async def test_concurrent_duplicates_create_one_and_the_rest_wait_or_replay(system: RunningSystem):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as owner:
        await sign_up(owner)
        key, body = a_key(), customer_body()

        answers = await asyncio.gather(*(owner.post("/api/v1/customers", json=body, headers=key) for _ in range(5)))

        firsts = [answer for answer in answers if answer.status_code == 201 and REPLAYED_HEADER not in answer.headers]
        assert len(firsts) == 1, [(answer.status_code, answer.text) for answer in answers]
        for answer in answers:
            if answer is firsts[0]:
                continue
            if answer.status_code == 409:
                assert answer.headers["content-type"] == PROBLEM_JSON
                assert answer.headers["retry-after"] == "1"
            else:
                assert_replay_of(answer, firsts[0])
        assert await customer_ids(owner) == [firsts[0].json()["id"]]
        # Once the first is done, a retry gets its answer.
        assert_replay_of(await owner.post("/api/v1/customers", json=body, headers=key), firsts[0])


async def test_a_key_belongs_to_its_caller_and_company(system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as owner,
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as admin,
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as stranger,
    ):
        await sign_up(owner)
        await sign_up(stranger)
        invite = created(
            await owner.post("/api/v1/invites", json={"email": f"{unique('admin')}@example.com", "role": "ADMIN"})
        )
        token = invite["acceptPath"].split("token=", 1)[1]
        accepted = await admin.post(
            "/api/v1/invites/accept", json={"token": token, "name": "Adam", "password": PASSWORD}
        )
        assert accepted.status_code == 200, accepted.text
        send_csrf_token(admin)
        key = a_key()

        by_owner = created(await owner.post("/api/v1/customers", json=customer_body(), headers=key))
        # The same key from another member of the company, and from another company: each its own request.
        by_admin = created(await admin.post("/api/v1/customers", json=customer_body(), headers=key))
        body = customer_body()
        by_stranger = created(await stranger.post("/api/v1/customers", json=body, headers=key))

        assert len({by_owner["id"], by_admin["id"], by_stranger["id"]}) == 3
        assert sorted(await customer_ids(owner)) == sorted([by_owner["id"], by_admin["id"]])
        assert await customer_ids(stranger) == [by_stranger["id"]]
        replay = await stranger.post("/api/v1/customers", json=body, headers=key)
        assert (replay.headers[REPLAYED_HEADER], replay.json()["id"]) == ("true", by_stranger["id"])


@pytest.mark.parametrize(
    "key",
    [b"", b"k" * 256, "caf\u00e9".encode("latin-1"), b"tab\there"],
    ids=["empty", "too-long", "not-ascii", "control-character"],
)
async def test_a_malformed_key_is_refused_before_anything_is_done(full_system: RunningSystem, key: bytes):
    async with httpx.AsyncClient(base_url=full_system.base_url, timeout=30) as owner:
        await sign_up(owner)

        refused = await owner.post(
            "/api/v1/customers", json=customer_body(), headers={IDEMPOTENCY_HEADER.encode(): key}
        )

        assert refused.status_code == 400, refused.text
        assert refused.headers["content-type"] == PROBLEM_JSON
        assert await customer_ids(owner) == []


async def test_the_longest_key_is_accepted(full_system: RunningSystem):
    async with httpx.AsyncClient(base_url=full_system.base_url, timeout=30) as owner:
        await sign_up(owner)
        key, body = {IDEMPOTENCY_HEADER: "a b~" + "k" * 251}, customer_body()

        first = await owner.post("/api/v1/customers", json=body, headers=key)
        created(first)
        assert_replay_of(await owner.post("/api/v1/customers", json=body, headers=key), first)


async def test_without_a_key_every_post_is_done_again(system: RunningSystem):
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as owner:
        await sign_up(owner)
        customer = created(await owner.post("/api/v1/customers", json=customer_body()))
        path = f"/api/v1/customers/{customer['id']}/addresses"

        first = created(await owner.post(path, json=ADDRESS))
        second = created(await owner.post(path, json=ADDRESS))

        assert first["id"] != second["id"]
        listed = await owner.get(path)
        assert sorted(item["id"] for item in listed.json()["items"]) == sorted([first["id"], second["id"]])


async def test_an_api_key_caller_gets_replays(system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as owner,
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as integrator,
    ):
        await sign_up(owner)
        secret = created(await owner.post("/api/v1/api-keys", json={"name": "ERP", "scopes": ["customers:write"]}))
        integrator.headers["Authorization"] = f"Bearer {secret['secret']}"
        key, body = a_key(), customer_body()

        first = await integrator.post("/api/v1/customers", json=body, headers=key)
        customer = created(first)
        replay = await integrator.post("/api/v1/customers", json=body, headers=key)
        # The owner's session is another caller: the same key there is a request of its own.
        by_owner = created(await owner.post("/api/v1/customers", json=customer_body(), headers=key))

        assert_replay_of(replay, first)
        assert sorted(await customer_ids(owner)) == sorted([customer["id"], by_owner["id"]])


async def test_a_storefront_customer_gets_replays(system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as owner,
        httpx.AsyncClient(base_url=system.base_url, timeout=30) as buyer,
    ):
        slug = (await sign_up(owner))["company"]["slug"]
        body = customer_body()
        created(await owner.post("/api/v1/customers", json=body))
        password = {"email": body["email"], "password": PASSWORD, "confirmPassword": PASSWORD}
        assert (await buyer.post(f"/store/{slug}/api/setup-password", json=password)).status_code == 200
        login = await buyer.post(f"/store/{slug}/api/login", json={"email": body["email"], "password": PASSWORD})
        assert login.status_code == 200, login.text
        send_csrf_token(buyer)
        key = a_key()

        first = await buyer.post(f"/store/{slug}/api/addresses", json=ADDRESS, headers=key)
        address = created(first)
        replay = await buyer.post(f"/store/{slug}/api/addresses", json=ADDRESS, headers=key)
        other = await buyer.post(f"/store/{slug}/api/addresses", json={**ADDRESS, "label": "Back door"}, headers=key)

        assert_replay_of(replay, first)
        assert other.status_code == 422, other.text
        listed = await buyer.get(f"/store/{slug}/api/addresses")
        assert [item["id"] for item in listed.json()["items"]] == [address["id"]]


async def test_anonymous_calls_are_not_keyed(full_system: RunningSystem):
    """Signing up has no company or principal yet to keep an answer for: the key is ignored."""
    async with (
        httpx.AsyncClient(base_url=full_system.base_url, timeout=30) as first,
        httpx.AsyncClient(base_url=full_system.base_url, timeout=30) as second,
    ):
        key = a_key()
        for client in (first, second):
            tag = uuid.uuid4().hex[:8]
            body = {
                "companyName": f"Anon {tag}",
                "name": "Ada",
                "email": f"anon-{tag}@example.com",
                "password": PASSWORD,
            }
            signed_up = await client.post("/api/v1/signup", json=body, headers=key)
            assert signed_up.status_code == 201, signed_up.text
            assert REPLAYED_HEADER not in signed_up.headers
        assert first.cookies != second.cookies


# -- the mechanics, in front of stand-in services -----------------------------------------------


async def idempotency_records(harness: GatewayHarness) -> list[str]:
    return [key async for key in harness.redis.scan_iter(f"{harness.namespace}:idem:*")]


async def test_a_replay_never_reaches_the_service_and_keeps_only_the_headers_that_matter(gateway: GatewayHarness):
    await gateway.sign_up()
    key = a_key()

    first = await gateway.client.post("/api/v1/products", json={"sku": "A"}, headers=key)
    replay = await gateway.client.post("/api/v1/products", json={"sku": "A"}, headers=key)

    assert first.status_code == 200, first.text
    assert_replay_of(replay, first)
    assert len(gateway.services["catalog"].calls_to("/api/v1/products")) == 1
    assert "x-upstream" not in replay.headers
    [record] = await idempotency_records(gateway)
    assert 0 < await gateway.redis.ttl(record) <= 24 * 60 * 60


async def test_an_unreachable_service_leaves_the_key_free_for_a_retry(make_gateway: GatewayFactory):
    async with make_gateway(down=("catalog",)) as harness:
        await harness.sign_up()
        key = a_key()

        answers = [await harness.client.post("/api/v1/products", json={"sku": "A"}, headers=key) for _ in range(2)]

        # Each try reached for the service (none was a 409 or a replay), and nothing is kept.
        assert [answer.status_code for answer in answers] == [503, 503]
        assert all(REPLAYED_HEADER not in answer.headers for answer in answers)
        assert await idempotency_records(harness) == []


async def test_a_kept_answer_is_only_replayed_to_a_caller_still_allowed_to_ask(gateway: GatewayHarness):
    account = await gateway.sign_up(role="OWNER")
    key = a_key()
    kept = await gateway.client.post("/api/v1/subscription", json={"planCode": "scale"}, headers=key)
    assert kept.status_code == 200, kept.text
    # Demoted: the owner-only route is refused now, kept answer or not.
    gateway.services["identity"].companies[account["company"]["id"]]["role"] = "MEMBER"

    refused = await gateway.client.post("/api/v1/subscription", json={"planCode": "scale"}, headers=key)

    assert refused.status_code == 403, refused.text
    assert REPLAYED_HEADER not in refused.headers


async def test_the_api_document_offers_the_key_on_every_post_that_does_not_sign_in(gateway: GatewayHarness):
    answer = {"responses": {"201": {"description": "Created"}}}
    gateway.services["identity"].openapi = {
        "openapi": "3.1.0",
        "info": {"title": "identity", "version": "1"},
        "paths": {
            "/api/v1/signup": {"post": answer},
            "/api/v1/customers": {"get": answer, "post": answer},
            "/storefront/addresses": {"post": answer},
        },
    }

    paths = (await gateway.client.get("/api/v1/openapi.json")).json()["paths"]

    for path in ("/api/v1/customers", "/store/{slug}/api/addresses"):
        operation = paths[path]["post"]
        [parameter] = [item for item in operation["parameters"] if item["name"] == IDEMPOTENCY_HEADER]
        assert (parameter["in"], parameter["required"], parameter["schema"]["maxLength"]) == ("header", False, 255)
        assert {"409", "422"} <= set(operation["responses"])
        assert REPLAYED_HEADER in operation["responses"]["201"]["headers"]
    for path, method in (("/api/v1/signup", "post"), ("/api/v1/customers", "get"), ("/api/v1/auth/logout", "post")):
        parameters = paths[path][method].get("parameters", [])
        assert IDEMPOTENCY_HEADER not in [item["name"] for item in parameters]
