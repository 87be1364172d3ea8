"""Staff sign-in: the right password signs in; every failure reads the same."""

import uuid

from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from services.identity.models import User
from tests.identity.conftest import Identity, signup_body


async def test_right_email_and_password_sign_in(identity: Identity) -> None:
    body = signup_body(companyName="Login Co")
    account = await identity.signup(**body)

    response = await identity.client.post(
        "/api/v1/auth/login",
        json={"email": "  " + body["email"].upper() + " ", "password": body["password"]},
        headers=identity.anonymous(),
    )

    assert response.status_code == 200, response.text
    assert response.json() == account


async def test_wrong_password_and_unknown_email_get_the_same_answer(identity: Identity) -> None:
    body = signup_body()
    await identity.signup(**body)

    wrong_password = await identity.client.post(
        "/api/v1/auth/login",
        json={"email": body["email"], "password": "not the password"},
        headers=identity.anonymous(),
    )
    unknown_email = await identity.client.post(
        "/api/v1/auth/login",
        json={"email": "nobody@example.com", "password": body["password"]},
        headers=identity.anonymous(),
    )

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.headers["content-type"] == unknown_email.headers["content-type"] == "application/problem+json"
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["detail"] == "Email or password is incorrect."


async def test_login_with_missing_fields_is_a_validation_error(identity: Identity) -> None:
    response = await identity.client.post("/api/v1/auth/login", json={"email": "a@b.c"}, headers=identity.anonymous())

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["password"]


async def test_a_hash_made_with_old_parameters_is_upgraded_at_sign_in(identity: Identity) -> None:
    body = signup_body()
    account = await identity.signup(**body)
    old_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
    async with identity.database.sessionmaker() as session, session.begin():
        user = await session.get(User, uuid.UUID(account["user"]["id"]))
        assert user is not None
        user.password_hash = old_hasher.hash(body["password"])

    response = await identity.client.post(
        "/api/v1/auth/login", json={"email": body["email"], "password": body["password"]}, headers=identity.anonymous()
    )

    assert response.status_code == 200
    async with identity.database.sessionmaker() as session:
        password_hash = await session.scalar(select(User.password_hash).where(User.email == body["email"]))
    assert password_hash is not None
    parameters = extract_parameters(password_hash)
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19456, 2, 1)
