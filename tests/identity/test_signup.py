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
from tests.identity.conftest import Identity, signup_body


async def test_signup_creates_company_owner_and_starter_trial(identity: Identity) -> None:
    body = signup_body(companyName="  Acme Distributors  ", email="Ada.Owner@Example.COM", name=" Ada ")

    response = await identity.client.post("/api/v1/signup", json=body, headers=identity.anonymous())

    assert response.status_code == 201, response.text
    account = response.json()
    assert set(account) == {"user", "company", "role", "membershipId"}
    assert account["role"] == "OWNER"
    assert account["company"]["name"] == "Acme Distributors"
    assert account["company"]["slug"] == "acme-distributors"
    assert set(account["company"]) == {"id", "name", "slug"}
    assert account["user"] == {"id": account["user"]["id"], "email": "ada.owner@example.com", "name": "Ada"}
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
        subscription = await session.scalar(select(Subscription))
        assert subscription is not None
        assert subscription.plan_code == "starter"
        assert subscription.status == "TRIALING"
        assert subscription.trial_ends_at is not None
        assert abs(subscription.trial_ends_at - (utcnow() + timedelta(days=14))) < timedelta(minutes=1)


async def test_signup_opens_the_storefront_in_the_redis_directory(identity: Identity) -> None:
    account = await identity.signup(companyName="Blue Plate Supply")

    entry = await identity.redis.get(identity.storefront_key("blue-plate-supply"))

    assert entry is not None
    assert json.loads(entry) == {
        "companyId": account["company"]["id"],
        "name": "Blue Plate Supply",
        "slug": "blue-plate-supply",
        "version": 1,
    }


async def test_a_taken_slug_gets_a_numbered_suffix(identity: Identity) -> None:
    first = await identity.signup(companyName="Acme Distributors")
    second = await identity.signup(companyName="ACME distributors!")
    third = await identity.signup(companyName="Acme   Distributors")

    slugs = [account["company"]["slug"] for account in (first, second, third)]
    assert slugs == ["acme-distributors", "acme-distributors-2", "acme-distributors-3"]


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
    responses = await asyncio.gather(
        *(
            identity.client.post(
                "/api/v1/signup", json=signup_body(companyName="Race Co"), headers=identity.anonymous()
            )
            for _ in range(3)
        )
    )

    assert [response.status_code for response in responses] == [201, 201, 201]
    slugs = sorted(response.json()["company"]["slug"] for response in responses)
    assert slugs == ["race-co", "race-co-2", "race-co-3"]


async def test_concurrent_signups_with_the_same_email_create_one_account(identity: Identity) -> None:
    email = f"same-{uuid.uuid4().hex[:6]}@example.com"
    responses = await asyncio.gather(
        *(
            identity.client.post(
                "/api/v1/signup", json=signup_body(email=email, companyName=f"Co {n}"), headers=identity.anonymous()
            )
            for n in range(2)
        )
    )

    assert sorted(response.status_code for response in responses) == [201, 409]
    counts = await identity.row_counts()
    assert (counts["users"], counts["companies"], counts["memberships"], counts["subscriptions"]) == (1, 1, 1, 1)


def _without(field: str) -> dict[str, str]:
    body = signup_body()
    del body[field]
    return body


BAD_SIGNUPS = [
    pytest.param(_without("companyName"), "companyName", id="missing-company-name"),
    pytest.param(_without("name"), "name", id="missing-name"),
    pytest.param(_without("email"), "email", id="missing-email"),
    pytest.param(_without("password"), "password", id="missing-password"),
    pytest.param(signup_body(email="not-an-email"), "email", id="bad-email"),
    pytest.param(signup_body(email="ada@"), "email", id="email-without-domain"),
    pytest.param(signup_body(password="short"), "password", id="short-password"),
    pytest.param(signup_body(password="p" * 101), "password", id="long-password"),
    pytest.param(signup_body(companyName="   "), "companyName", id="blank-company-name"),
    pytest.param(signup_body(companyName="c" * 101), "companyName", id="long-company-name"),
    pytest.param(signup_body(name=""), "name", id="blank-name"),
]


@pytest.mark.parametrize(("body", "field"), BAD_SIGNUPS)
async def test_bad_signup_input_is_refused_and_writes_nothing(
    identity: Identity, body: dict[str, str], field: str
) -> None:
    before = await identity.row_counts()

    response = await identity.client.post("/api/v1/signup", json=body, headers=identity.anonymous())

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["title"]
    assert field in [error["field"] for error in problem["errors"]]
    assert all(error["message"] for error in problem["errors"])
    assert await identity.row_counts() == before


async def test_signup_without_a_body_is_refused(identity: Identity) -> None:
    response = await identity.client.post("/api/v1/signup", headers=identity.anonymous())

    assert response.status_code == 422
    assert response.json()["errors"]


async def test_duplicate_email_is_a_conflict_whatever_its_case(identity: Identity) -> None:
    await identity.signup(email="owner@acme.example")
    before = await identity.row_counts()

    response = await identity.client.post(
        "/api/v1/signup",
        json=signup_body(email="Owner@ACME.example", companyName="Another Co"),
        headers=identity.anonymous(),
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "An account with this email already exists."
    assert await identity.row_counts() == before


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
