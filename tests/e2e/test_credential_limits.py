"""Credential checks and their limits end to end through the gateway, in embedded mode."""

# Embedded mode runs in this process (deploy.embedded.running_system), so that each test comes from an
# address of its own and the per-address allowances can be small (set through the environment) without
# touching the shared systems every other end-to-end test signs up from 127.0.0.1 with.

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from deploy.embedded import running_system
from tests.support.api import PASSWORD, PROBLEM_JSON, send_csrf_token, sign_up, unique

SIGNUP_ATTEMPTS_PER_IP = 2
TRIALS_PER_IP_PER_DAY = 3
INVITE_LOOKUPS_PER_IP = 2
_addresses = itertools.count(1)


class EmbeddedSystem:
    def __init__(self, gateway: FastAPI, base_url: str) -> None:
        self.gateway = gateway
        self.base_url = base_url

    @asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        """A browser or script at an address of its own."""
        number = next(_addresses)
        transport = httpx.ASGITransport(app=self.gateway, client=(f"203.0.113.{number}", 40000))
        headers = {"Origin": self.base_url}
        async with httpx.AsyncClient(transport=transport, base_url=self.base_url, headers=headers) as client:
            yield client


@pytest.fixture(scope="module")
async def embedded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedSystem]:
    data_dir: Path = tmp_path_factory.mktemp("credential-limits")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("GATEWAY_SIGNUP_ATTEMPTS_PER_IP", str(SIGNUP_ATTEMPTS_PER_IP))
        environment.setenv("GATEWAY_TRIALS_PER_IP_PER_DAY", str(TRIALS_PER_IP_PER_DAY))
        environment.setenv("GATEWAY_INVITE_LOOKUPS_PER_IP", str(INVITE_LOOKUPS_PER_IP))
        async with running_system(data_dir, "127.0.0.1", 8000) as (gateway, public_url):
            yield EmbeddedSystem(gateway, public_url)


def without_instance(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    body.pop("instance", None)
    return body


async def test_guesses_through_invite_acceptance_and_sign_in_share_one_backoff(embedded: EmbeddedSystem) -> None:
    async with embedded.client() as attacker, embedded.client() as victim_browser, embedded.client() as guesser:
        victim = await sign_up(victim_browser)
        email = victim["user"]["email"]
        # Anyone can invite any email to a company of their own.
        await sign_up(attacker)
        created = await attacker.post("/api/v1/invites", json={"email": email, "role": "MEMBER"})
        assert created.status_code == 201, created.text
        token = created.json()["acceptPath"].split("token=", 1)[1]

        logins = [
            await guesser.post("/api/v1/auth/login", json={"email": email, "password": f"guessed-{n}-password"})
            for n in range(3)
        ]
        accepts = [
            await guesser.post("/api/v1/invites/accept", json={"token": token, "password": f"guessed-{n}-password"})
            for n in range(3, 5)
        ]
        right = await guesser.post("/api/v1/invites/accept", json={"token": token, "password": PASSWORD})
        victim_signs_in = await victim_browser.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})

    assert [r.status_code for r in logins + accepts] == [401] * 5
    assert without_instance(accepts[0]) == without_instance(logins[0])
    assert email not in accepts[0].text
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) >= 1
    # The account waits whoever asks: that is what stops the guessing.
    assert victim_signs_in.status_code == 429


async def test_a_storefront_is_found_only_at_its_own_slug(embedded: EmbeddedSystem) -> None:
    async with embedded.client() as owner, embedded.client() as visitor:
        slug = (await sign_up(owner))["company"]["slug"]
        body = {"email": f"{unique('buyer')}@example.com", "password": "guessed-password"}

        own = await visitor.post(f"/store/{slug}/api/login", json=body)
        shouted = await visitor.post(f"/store/{slug.upper()}/api/login", json=body)
        spaced = await visitor.post(f"/store/%20{slug}/api/setup-password", json={**body, "confirmPassword": "x"})
        page = await visitor.get(f"/store/{slug.upper()}/login")

    assert own.status_code == 401
    assert (shouted.status_code, spaced.status_code, page.status_code) == (404, 404, 404)


async def test_sign_ups_are_limited_per_address(embedded: EmbeddedSystem) -> None:
    async with embedded.client() as prober, embedded.client() as founder:
        taken = (await sign_up(founder))["user"]["email"]
        probe = {"companyName": "Probe Co", "name": "Pat", "email": taken, "password": PASSWORD}
        probes = [await prober.post("/api/v1/signup", json=probe) for _ in range(SIGNUP_ATTEMPTS_PER_IP + 1)]

    assert [r.status_code for r in probes] == [409] * SIGNUP_ATTEMPTS_PER_IP + [429]
    assert "sign-up attempts" in probes[-1].json()["detail"]


async def test_companies_created_from_one_address_are_limited_per_day(embedded: EmbeddedSystem) -> None:
    async with embedded.client() as founder:

        async def create() -> int:
            tag = uuid.uuid4().hex[:8]
            body = {
                "companyName": f"Trial {tag}",
                "name": "Pat",
                "email": f"pat-{tag}@example.com",
                "password": PASSWORD,
            }
            return (await founder.post("/api/v1/signup", json=body)).status_code

        # More companies than failed sign-ups are allowed: a success gives its sign-up attempt back.
        statuses = [await create() for _ in range(TRIALS_PER_IP_PER_DAY + 2)]

    assert statuses == [201] * TRIALS_PER_IP_PER_DAY + [429] * 2


async def test_invitation_lookups_are_limited_per_address(embedded: EmbeddedSystem) -> None:
    async with embedded.client() as owner, embedded.client() as prober:
        await sign_up(owner)
        created = await owner.post(
            "/api/v1/invites", json={"email": f"{unique('staff')}@example.com", "role": "MEMBER"}
        )
        token = created.json()["acceptPath"].split("token=", 1)[1]
        lookups = [
            await prober.post("/api/v1/invites/lookup", json={"token": token}) for _ in range(INVITE_LOOKUPS_PER_IP + 1)
        ]

    assert [r.status_code for r in lookups] == [200] * INVITE_LOOKUPS_PER_IP + [429]


async def test_parallel_password_setups_keep_the_first_password_in_embedded_mode(embedded: EmbeddedSystem) -> None:
    async with embedded.client() as owner, embedded.client() as contact:
        slug = (await sign_up(owner))["company"]["slug"]
        send_csrf_token(owner)
        customer = await owner.post("/api/v1/customers", json={"email": f"{unique('buyer')}@example.com", "name": "B"})
        email = f"{unique('clerk')}@example.com"
        body = {"email": email, "name": "Casey", "role": "BUYER"}
        added = await owner.post(f"/api/v1/customers/{customer.json()['id']}/contacts", json=body)
        assert added.status_code == 201, added.text
        passwords = [f"first-password-{n}" for n in range(10)]

        setups = await asyncio.gather(
            *(
                contact.post(
                    f"/store/{slug}/api/setup-password",
                    json={"email": email, "password": password, "confirmPassword": password},
                )
                for password in passwords
            )
        )
        winner = next(password for password, r in zip(passwords, setups, strict=True) if r.status_code == 200)
        signed_in = await contact.post(f"/store/{slug}/api/login", json={"email": email, "password": winner})

    statuses = [r.status_code for r in setups]
    # One setup wins; the others find nothing pending (400) or wait their account's turn (429).
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 400, 429}, [r.text for r in setups]
    assert signed_in.status_code == 200
