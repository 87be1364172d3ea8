"""Per-account backoff across routes, exact storefront slugs, and one-shots under concurrency (both databases)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import fakeredis
import httpx
import pytest
from redis.asyncio import Redis

from kit.bus import InProcessBus
from kit.context import ContextSigner
from kit.settings import PlatformSettings
from services.identity.accounts.service import BAD_CREDENTIALS
from services.identity.app import create_app
from services.identity.settings import IdentitySettings
from services.identity.storefront.service import NO_PENDING_ACCOUNT
from tests.conftest import DatabaseFactory, context_headers, start_app
from tests.identity.conftest import Identity, signup_body
from tests.identity.people import company_of, create_contact, create_customer
from tests.identity.staff import PASSWORD, accept, invite, new_email
from tests.support.events import wait_until

BACKENDS = ["postgresql", "sqlite"]


@asynccontextmanager
async def running_identity(
    backend: str,
    new_database: DatabaseFactory,
    platform: PlatformSettings,
    signer: ContextSigner,
    tmp_path: Path,
    **settings: Any,
) -> AsyncIterator[Identity]:
    """Identity with `settings`, on PostgreSQL and Redis, or as embedded mode runs it (SQLite, the
    in-process bus and Redis stand-in)."""
    async with AsyncExitStack() as stack:
        if backend == "sqlite":
            bus = InProcessBus(retry_delays=[0.1])
            stack.push_async_callback(bus.close)
            redis: Any = fakeredis.FakeAsyncRedis(decode_responses=True)
            url = f"sqlite+aiosqlite:///{tmp_path / f'identity-{uuid.uuid4().hex[:6]}.db'}"
            app = create_app(IdentitySettings(database_url=url, **settings), platform, bus=bus, redis=redis)
        else:
            redis = Redis.from_url(platform.redis_url, decode_responses=True)
            stack.push_async_callback(redis.aclose)
            url = await new_database("identity")
            app = create_app(IdentitySettings(database_url=url, **settings), platform)
        client = await start_app(stack, app)
        yield Identity(
            client=client, app=app, database=app.state.database, redis=redis, signer=signer, platform=platform
        )


@pytest.fixture
def make_identity(
    new_database: DatabaseFactory, platform: PlatformSettings, signer: ContextSigner, tmp_path: Path
) -> Any:
    def make(backend: str = "postgresql", **settings: Any) -> Any:
        return running_identity(backend, new_database, platform, signer, tmp_path, **settings)

    return make


async def staff_login(identity: Identity, email: str, password: str) -> httpx.Response:
    body = {"email": email, "password": password}
    return await identity.client.post("/api/v1/auth/login", json=body, headers=identity.anonymous())


def storefront_of(identity: Identity, account: dict[str, Any]) -> dict[str, str]:
    return identity.anonymous(company_id=company_of(account))


async def store_login(identity: Identity, account: dict[str, Any], email: str, password: str) -> httpx.Response:
    body = {"email": email, "password": password}
    return await identity.client.post("/storefront/login", json=body, headers=storefront_of(identity, account))


async def store_setup(identity: Identity, account: dict[str, Any], email: str, password: str) -> httpx.Response:
    body = {"email": email, "password": password, "confirmPassword": password}
    return await identity.client.post("/storefront/setup-password", json=body, headers=storefront_of(identity, account))


def without_instance(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    body.pop("instance", None)
    return body


async def test_invite_acceptance_and_sign_in_count_against_one_backoff_per_account(identity: Identity) -> None:
    inviter = await identity.signup()
    victim = await identity.signup(companyName="Victim Co")
    email = victim["user"]["email"]
    created = await invite(identity, inviter, email=email)

    logins = [await staff_login(identity, email, f"guessed-password-{n}") for n in range(3)]
    accepts = [await accept(identity, created["token"], password=f"guessed-password-{n}") for n in range(3, 5)]
    # The right password now waits too, by either route: five failures were shared.
    right_login = await staff_login(identity, email, PASSWORD)
    right_accept = await accept(identity, created["token"], password=PASSWORD)

    assert [r.status_code for r in logins + accepts] == [401] * 5
    # A failed acceptance reads exactly as a failed sign-in, and names no one.
    assert without_instance(accepts[0]) == without_instance(logins[0])
    assert accepts[0].json()["detail"] == BAD_CREDENTIALS
    assert (right_login.status_code, right_accept.status_code) == (429, 429)
    assert int(right_accept.headers["retry-after"]) >= 1
    assert "sign-in attempts" in right_accept.json()["detail"]


async def test_after_the_free_failures_each_failure_doubles_the_wait_up_to_the_cap(make_identity: Any) -> None:
    async with make_identity(login_backoff_base_seconds=1, login_backoff_max_seconds=2) as identity:
        account = await identity.signup()
        email = account["user"]["email"]

        free = [(await staff_login(identity, email, "wrong-password")).status_code for _ in range(5)]
        waits: list[str] = []
        for _ in range(3):
            refused = await staff_login(identity, email, "wrong-password")
            assert refused.status_code == 429, refused.text
            waits.append(refused.headers["retry-after"])

            async def admitted() -> httpx.Response | None:
                # Polling while refused: refused attempts must not lengthen the wait.
                response = await staff_login(identity, email, "wrong-password")
                return response if response.status_code != 429 else None

            assert (await wait_until(admitted, within=5, interval=0.1, what="the wait to end")).status_code == 401

        async def signed_in() -> httpx.Response | None:
            response = await staff_login(identity, email, PASSWORD)
            return response if response.status_code != 429 else None

        right = await wait_until(signed_in, within=5, interval=0.1, what="the wait to end")
        # A success forgets the failures: five are free again.
        after_success = [(await staff_login(identity, email, "wrong-password")).status_code for _ in range(5)]

    assert free == [401] * 5
    assert waits == ["1", "2", "2"]
    assert right.status_code == 200
    assert after_success == [401] * 5


async def test_concurrent_wrong_passwords_are_bounded_by_the_free_failures(identity: Identity) -> None:
    account = await identity.signup()
    email = account["user"]["email"]

    responses = await asyncio.gather(*(staff_login(identity, email, f"guessed-password-{n}") for n in range(12)))

    assert sorted(r.status_code for r in responses) == [401] * 5 + [429] * 7


async def test_an_unknown_email_backs_off_exactly_like_a_known_one(identity: Identity) -> None:
    account = await identity.signup()
    known = [await staff_login(identity, account["user"]["email"], "wrong-password") for _ in range(6)]
    nobody = new_email("nobody")
    unknown = [await staff_login(identity, nobody, "wrong-password") for _ in range(6)]

    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 5 + [429]
    assert without_instance(known[-1]) == without_instance(unknown[-1])


async def test_storefront_sign_in_and_setup_share_a_backoff_per_email_and_storefront(identity: Identity) -> None:
    ours = await identity.signup()
    theirs = await identity.signup(companyName="Their Co")
    email = new_email("buyer")
    await create_customer(identity, identity.owner_of(ours), email=email)
    await create_customer(identity, identity.owner_of(theirs), email=email)
    assert (await store_setup(identity, ours, email, PASSWORD)).status_code == 200

    logins = [await store_login(identity, ours, email, f"guessed-password-{n}") for n in range(3)]
    setups = [await store_setup(identity, ours, email, f"guessed-password-{n}") for n in range(3, 5)]
    right = await store_login(identity, ours, email, PASSWORD)
    again = await store_setup(identity, ours, email, "guess-again")
    elsewhere = await store_setup(identity, theirs, email, PASSWORD)

    assert [r.status_code for r in logins] == [401] * 3
    assert [r.json()["detail"] for r in setups] == [NO_PENDING_ACCOUNT] * 2
    assert (right.status_code, again.status_code) == (429, 429)
    assert "password setup attempts" in again.json()["detail"]
    # Another storefront's account with the same email has its own count.
    assert elsewhere.status_code == 200


async def test_a_storefront_slug_resolves_only_exactly_as_written(identity: Identity) -> None:
    account = await identity.signup(companyName="Rate X")
    slug = account["company"]["slug"]
    internal = context_headers(identity.signer, "identity", internal=True)

    exact = await identity.client.get(f"/internal/storefronts/{slug}", headers=internal)
    shouted = await identity.client.get(f"/internal/storefronts/{slug.upper()}", headers=internal)
    spaced = await identity.client.get(f"/internal/storefronts/%20{slug}", headers=internal)

    assert exact.status_code == 200
    assert exact.json()["slug"] == slug
    assert (shouted.status_code, spaced.status_code) == (404, 404)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_parallel_password_setups_for_one_account_let_exactly_one_through(
    make_identity: Any, backend: str
) -> None:
    # Free failures well above the number of calls: this is about the one-shot, not the backoff.
    async with make_identity(backend, login_free_failures=100) as identity:
        account = await identity.signup()
        email = new_email("clerk")
        customer = await create_customer(identity, identity.owner_of(account))
        await create_contact(identity, identity.owner_of(account), customer, email=email)
        passwords = [f"first-password-{n}" for n in range(10)]

        setups = await asyncio.gather(*(store_setup(identity, account, email, password) for password in passwords))
        logins = [await store_login(identity, account, email, password) for password in passwords]

    assert sorted(r.status_code for r in setups) == [200] + [400] * 9, [r.text for r in setups]
    assert {r.json()["detail"] for r in setups if r.status_code == 400} == {NO_PENDING_ACCOUNT}
    # The password kept is the one whose setup succeeded; nobody's was silently replaced.
    winner = next(n for n, r in enumerate(setups) if r.status_code == 200)
    assert [r.status_code for r in logins] == [200 if n == winner else 401 for n in range(10)]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_parallel_acceptances_of_one_invite_let_exactly_one_through(make_identity: Any, backend: str) -> None:
    async with make_identity(backend) as identity:
        account = await identity.signup()
        email = new_email()
        created = await invite(identity, account, email=email)

        responses = await asyncio.gather(*(accept(identity, created["token"], name=f"Nia {n}") for n in range(10)))
        members = await identity.client.get("/api/v1/members", headers=identity.owner_of(account))

    assert sorted(r.status_code for r in responses) == [200] + [404] * 9, [r.text for r in responses]
    assert [m["email"] for m in members.json()["items"]].count(email) == 1


async def test_parallel_signups_with_one_company_name_all_get_their_own_slug(identity: Identity) -> None:
    # On PostgreSQL, where the signups truly overlap (SQLite runs one writer at a time).
    async def sign_up() -> httpx.Response:
        body = signup_body(companyName=f"Same Name Wholesale {tag}")
        return await identity.client.post("/api/v1/signup", json=body, headers=identity.anonymous())

    tag = uuid.uuid4().hex[:8]
    responses = await asyncio.gather(*(sign_up() for _ in range(10)))

    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses if r.status_code != 201]
    slugs = {r.json()["company"]["slug"] for r in responses}
    assert len(slugs) == 10
    assert f"same-name-wholesale-{tag}" in slugs
