"""Identity on PostgreSQL refuses control and invisible formatting characters in bodies, paths and searches."""

import json
from typing import Any

import httpx
import pytest

from tests.identity.conftest import Identity, signup_body, unique

PROBLEM_JSON = "application/problem+json"

# Each reaches PostgreSQL as something it refuses (NUL), or as text that spoofs or breaks what shows it.
UNSAFE_TEXT = {
    "nul": "Ada\x00Owner",
    "escape": "Ada\x1b[31mOwner",
    "newline": "Ada\nOwner",
    "del": "Ada\x7fOwner",
    "c1": "Ada\x85Owner",
    "right-to-left override": "Ada\u202eOwner",
    "zero-width space": "Ada\u200bOwner",
    "byte order mark": "\ufeffAda",
}


def raw_json(body: dict[str, Any]) -> bytes:
    """JSON as a client may send it: ASCII escapes let a lone surrogate through, which UTF-8 cannot encode."""
    return json.dumps(body).encode("ascii")


def assert_refused(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    if field is not None:
        assert field in {error["field"] for error in problem["errors"]}, problem
    return problem


async def post_json(identity: Identity, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return await identity.client.post(
        path, content=raw_json(body), headers={**headers, "content-type": "application/json"}
    )


@pytest.mark.parametrize("text", UNSAFE_TEXT.values(), ids=UNSAFE_TEXT.keys())
async def test_signup_with_unsafe_characters_in_a_name_is_refused_and_stores_nothing(
    identity: Identity, text: str
) -> None:
    body = signup_body(companyName=unique("Unsafe Names"), name=text)

    response = await post_json(identity, "/api/v1/signup", body, identity.anonymous())

    assert_refused(response, 422, "name")
    assert await identity.signup_rows(body) == {"companies": 0, "users": 0}


@pytest.mark.parametrize("email", ["ada\x00@example.com", "ada\x1b@example.com", "ada\u202e@example.com"])
async def test_unsafe_characters_in_an_email_are_refused_at_signup_and_sign_in(identity: Identity, email: str) -> None:
    body = signup_body(companyName=unique("Unsafe Emails"), email=email)

    signup = await post_json(identity, "/api/v1/signup", body, identity.anonymous())
    login = await post_json(
        identity, "/api/v1/auth/login", {"email": email, "password": "correct horse battery"}, identity.anonymous()
    )

    assert_refused(signup, 422, "email")
    assert_refused(login, 422, "email")
    assert await identity.signup_rows(body) == {"companies": 0, "users": 0}


async def test_a_company_name_or_slug_with_unsafe_characters_is_refused(identity: Identity) -> None:
    account = await identity.signup()
    headers = identity.owner_of(account)

    for field, value in [("name", "Acme\u2066 Ltd"), ("slug", "acme\x00"), ("name", "Acme\tLtd")]:
        response = await identity.client.patch("/api/v1/company", json={field: value}, headers=headers)
        assert_refused(response, 422, field)

    company = await identity.client.get("/api/v1/company", headers=headers)
    assert (company.json()["name"], company.json()["slug"]) == (account["company"]["name"], account["company"]["slug"])


async def test_a_slug_path_parameter_with_a_nul_is_refused(identity: Identity) -> None:
    response = await identity.client.get("/internal/storefronts/acme%00", headers=identity.anonymous())

    assert_refused(response, 422, "slug")


@pytest.mark.parametrize("query", ["%00", "a%1Bb", "%E2%80%AE"])
async def test_a_customer_search_with_unsafe_characters_is_refused(identity: Identity, query: str) -> None:
    account = await identity.signup()

    response = await identity.client.get(f"/api/v1/customers?q={query}", headers=identity.owner_of(account))

    assert_refused(response, 422, "q")


async def test_names_in_any_script_with_joiners_are_accepted_where_look_alike_invisibles_are_not(
    identity: Identity,
) -> None:
    # ZWJ joins emoji sequences and ZWNJ shapes Persian and Indic words: both stay allowed. The zero-width
    # space, word joiner and bidi isolate next to them are just as invisible and are refused.
    persian = "\u0645\u0631\u06cc\u0645"  # a name, joined to a plural ending by ZWNJ below
    accepted = [
        "Zoë Ñúñez",
        persian + "\u200c\u0647\u0627",
        "Team \U0001f469\u200d\U0001f4bb",
        "李小龍",
        "Ada\u00a0Owner",
    ]
    refused = [persian + "\u200b\u0647\u0627", "Team\u2060\U0001f4bb", "\u2067" + persian + "\u2069"]

    for name in accepted:
        response = await post_json(identity, "/api/v1/signup", signup_body(name=name), identity.anonymous())
        assert response.status_code == 201, response.text
        assert response.json()["user"]["name"] == name
    for name in refused:
        response = await post_json(identity, "/api/v1/signup", signup_body(name=name), identity.anonymous())
        assert_refused(response, 422, "name")
