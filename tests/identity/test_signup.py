"""Signup: the company, its owner, the trial; bad input and duplicates change nothing."""

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from itertools import islice

import pytest
from argon2 import extract_parameters
from sqlalchemy import select

from kit.db import utcnow
from services.identity.companies.service import slug_candidates
from services.identity.models import Membership, Subscription, User
from tests.identity.conftest import Identity, signup_body, unique


async def test_signup_creates_company_owner_and_starter_trial(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    body = signup_body(companyName=f"  Acme Distributors {tag}  ", email=f"Ada.Owner.{tag}@Example.COM", name=" Ada ")

    response = await identity.client.post("/api/v1/signup", json=body, headers=identity.anonymous())

    assert response.status_code == 201, response.text
    account = response.json()
    assert set(account) == {"user", "company", "role", "membershipId"}
    assert account["role"] == "OWNER"
    assert account["company"]["name"] == f"Acme Distributors {tag}"
    assert account["company"]["slug"] == f"acme-distributors-{tag}"
    assert set(account["company"]) == {"id", "name", "slug"}
    assert account["user"] == {"id": account["user"]["id"], "email": f"Ada.Owner.{tag}@Example.COM", "name": "Ada"}
    uuid.UUID(account["company"]["id"])

    async with identity.database.sessionmaker() as session:
        user = await session.get(User, uuid.UUID(account["user"]["id"]))
        assert user is not None
        assert "correct horse" not in user.password_hash
        parameters = extract_parameters(user.password_hash)
        assert user.password_hash.startswith("$argon2id$")
        assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19456, 2, 1)
        membership = await session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert membership is not None
        assert str(membership.company_id) == account["company"]["id"]
        assert membership.role == "OWNER"
        ours = select(Subscription).where(Subscription.company_id == membership.company_id)
        subscription = await session.scalar(ours)
        assert subscription is not None
        assert subscription.plan_code == "starter"
        assert subscription.status == "TRIALING"
        assert subscription.trial_ends_at is not None
        assert abs(subscription.trial_ends_at - (utcnow() + timedelta(days=14))) < timedelta(minutes=1)


async def test_signup_opens_the_storefront_in_the_redis_directory(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    account = await identity.signup(companyName=f"Blue Plate Supply {tag}")

    entry = await identity.redis.get(identity.storefront_key(f"blue-plate-supply-{tag}"))

    assert entry is not None
    assert json.loads(entry) == {
        "companyId": account["company"]["id"],
        "name": f"Blue Plate Supply {tag}",
        "slug": f"blue-plate-supply-{tag}",
        "version": 1,
    }


async def test_a_taken_slug_gets_a_numbered_suffix(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    first = await identity.signup(companyName=f"Acme Distributors {tag}")
    second = await identity.signup(companyName=f"ACME distributors {tag}!")
    third = await identity.signup(companyName=f"Acme   Distributors {tag}")

    slugs = [account["company"]["slug"] for account in (first, second, third)]
    base = f"acme-distributors-{tag}"
    assert slugs == [base, f"{base}-2", f"{base}-3"]


# Names that cannot carry a tag of their own: their slugs are taken by no other test of this module.
@pytest.mark.parametrize(
    ("company_name", "expected"),
    [
        ("!!!", "company"),
        ("A", "a-company"),
        ("Café Ünïcode & Sons", "cafe-unicode-sons"),
        ("x" * 100, "x" * 50),
    ],
)
async def test_slug_is_always_a_valid_storefront_address(identity: Identity, company_name: str, expected: str) -> None:
    account = await identity.signup(companyName=company_name)

    assert account["company"]["slug"] == expected


async def test_concurrent_signups_with_the_same_name_get_distinct_slugs(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    responses = await asyncio.gather(
        *(
            identity.client.post(
                "/api/v1/signup", json=signup_body(companyName=f"Race Co {tag}"), headers=identity.anonymous()
            )
            for _ in range(3)
        )
    )

    assert [response.status_code for response in responses] == [201, 201, 201]
    slugs = sorted(response.json()["company"]["slug"] for response in responses)
    assert slugs == [f"race-co-{tag}", f"race-co-{tag}-2", f"race-co-{tag}-3"]


async def test_concurrent_signups_with_the_same_email_create_one_account(identity: Identity) -> None:
    email = f"same-{uuid.uuid4().hex[:6]}@example.com"
    bodies = [signup_body(email=email, companyName=unique(f"Co {n}")) for n in range(2)]
    responses = await asyncio.gather(
        *(identity.client.post("/api/v1/signup", json=body, headers=identity.anonymous()) for body in bodies)
    )

    assert sorted(response.status_code for response in responses) == [201, 409]
    [account] = [response.json() for response in responses if response.status_code == 201]
    stored = [await identity.signup_rows(body) for body in bodies]
    assert (sum(rows["companies"] for rows in stored), stored[0]["users"]) == (1, 1)
    counts = await identity.row_counts(account, email)
    assert (counts["users"], counts["companies"], counts["memberships"], counts["subscriptions"]) == (1, 1, 1, 1)


def _refused(**overrides: str) -> dict[str, str]:
    """A signup body with a company name of its own, so what it stored can be looked up."""
    return signup_body(**{"companyName": unique("Refused Co"), **overrides})


def _without(field: str) -> dict[str, str]:
    body = _refused()
    del body[field]
    return body


BAD_SIGNUPS = [
    pytest.param(_without("companyName"), "companyName", id="missing-company-name"),
    pytest.param(_without("name"), "name", id="missing-name"),
    pytest.param(_without("email"), "email", id="missing-email"),
    pytest.param(_without("password"), "password", id="missing-password"),
    pytest.param(_refused(email="not-an-email"), "email", id="bad-email"),
    pytest.param(_refused(email="ada@"), "email", id="email-without-domain"),
    pytest.param(_refused(password="short"), "password", id="short-password"),
    pytest.param(_refused(password="p" * 101), "password", id="long-password"),
    pytest.param(_refused(companyName="   "), "companyName", id="blank-company-name"),
    pytest.param(_refused(companyName="c" * 101), "companyName", id="long-company-name"),
    pytest.param(_refused(name=""), "name", id="blank-name"),
]


@pytest.mark.parametrize(("body", "field"), BAD_SIGNUPS)
async def test_bad_signup_input_is_refused_and_writes_nothing(
    identity: Identity, body: dict[str, str], field: str
) -> None:
    response = await identity.client.post("/api/v1/signup", json=body, headers=identity.anonymous())

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["title"]
    assert field in [error["field"] for error in problem["errors"]]
    assert all(error["message"] for error in problem["errors"])
    assert await identity.signup_rows(body) == {"companies": 0, "users": 0}


async def test_signup_without_a_body_is_refused(identity: Identity) -> None:
    response = await identity.client.post("/api/v1/signup", headers=identity.anonymous())

    assert response.status_code == 422
    assert response.json()["errors"]


async def test_duplicate_email_is_a_conflict_whatever_its_case(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    await identity.signup(email=f"Owner-{tag}@Acme.example")
    body = signup_body(email=f"owner-{tag}@ACME.EXAMPLE", companyName=unique("Another Co"))

    response = await identity.client.post("/api/v1/signup", json=body, headers=identity.anonymous())

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "An account with this email already exists."
    assert await identity.signup_rows(body) == {"companies": 0, "users": 1}


async def test_the_email_is_shown_as_typed_and_signs_in_in_any_case(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    body = signup_body(email=f" Jane.Doe.{tag}@Example.com ")
    account = await identity.signup(**body)

    me = await identity.client.get("/api/v1/me", headers=identity.owner_of(account))
    login = await identity.client.post(
        "/api/v1/auth/login",
        json={"email": f"jane.doe.{tag}@EXAMPLE.com", "password": body["password"]},
        headers=identity.anonymous(),
    )

    assert me.status_code == 200, me.text
    assert me.json()["user"]["email"] == f"Jane.Doe.{tag}@Example.com"
    assert login.status_code == 200, login.text
    assert login.json() == me.json()
    [created] = [event for event in await identity.events(account) if event.type == "UserCreated"]
    assert created.data["email"] == f"Jane.Doe.{tag}@Example.com"


async def test_trial_length_follows_the_setting(identity: Identity) -> None:
    account = await identity.signup()

    response = await identity.client.get("/api/v1/subscription", headers=identity.owner_of(account))

    trial_ends_at = datetime.fromisoformat(response.json()["trialEndsAt"])
    assert abs(trial_ends_at - (utcnow() + timedelta(days=14))) < timedelta(minutes=1)


def test_numbered_slugs_stay_within_fifty_characters() -> None:
    base = "a" * 45 + "-bcde"
    candidates = slug_candidates(base)

    assert [next(candidates) for _ in range(3)] == [base, "a" * 45 + "-bc-2", "a" * 45 + "-bc-3"]
    assert all(len(candidate) <= 50 for candidate in islice(slug_candidates("x" * 50), 200))
    assert list(islice(slug_candidates("a" * 48 + "-b"), 2))[1] == "a" * 48 + "-2"
