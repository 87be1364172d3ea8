"""The published OpenAPI document tells the truth: schemathesis fuzzes every operation of the live,
merged document through the gateway of the full topology, as each kind of caller.

Each caller gets a company of its own on the Scale plan (no plan limit cuts a run short, and what
one caller changes — a slug, a plan — cannot break another's run). Every check schemathesis has is
on: no server errors, statuses, content types, headers and bodies as documented, schema-invalid
requests refused and schema-valid ones accepted (except for the business rules listed below).
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis
import schemathesis
from hypothesis import strategies
from schemathesis import Case
from schemathesis.specs.openapi.schemas import OpenApiSchema

from gateway.csrf import CSRF_COOKIE, CSRF_HEADER
from gateway.idempotency import IDEMPOTENCY_HEADER
from gateway.openapi import API_KEY, CSRF_COOKIE_SCHEME, CSRF_SCHEME, STAFF_SESSION, STOREFRONT_SESSION
from gateway.sessions import STAFF_COOKIE, STOREFRONT_COOKIE
from kit.settings import PlatformSettings
from services.identity.api_keys.schemas import SCOPES
from tests.support.api import BILLING_PROFILE, PASSWORD
from tests.support.systems import RunningSystem

# Small enough for the whole file to take a few minutes on a 2-core machine; fixed seed, so a
# failure in CI is the same failure on a laptop.
EXAMPLES_PER_OPERATION = 2
SEED = 20261201
CALLERS = ("staff", "api_key", "storefront", "anonymous")

# Operations a caller does not fuzz, each with why: they would end the caller's own run.
EXCLUDED: dict[str, dict[tuple[str, str], str]] = {
    "staff": {
        ("DELETE", "/api/v1/company"): "would delete the fuzzed company (fuzzed as the other callers)",
        ("POST", "/api/v1/auth/logout"): "ends the staff session the rest of the run uses",
    },
    "storefront": {
        ("POST", "/store/{slug}/api/logout"): "ends the storefront session the rest of the run uses",
    },
}

# Schema-valid requests that a documented business rule refuses (positive_data_acceptance would
# otherwise report them): (method, path) -> {status: reason}.
COMPANY_CURRENCY = "prices are in the company's currency: any other well-formed code is refused"
BUSINESS_RULES: dict[tuple[str, str], dict[int, str]] = {
    ("POST", "/api/v1/products"): {400: COMPANY_CURRENCY},
    ("PATCH", "/api/v1/products/{product_id}"): {400: COMPANY_CURRENCY},
    ("POST", "/api/v1/price-overrides"): {400: COMPANY_CURRENCY},
    ("PATCH", "/api/v1/price-overrides/{override_id}"): {400: COMPANY_CURRENCY},
    ("POST", "/api/v1/products/import"): {
        422: "the CSV's header and rows are checked line by line",
        400: "the file must be UTF-8 text (a schema can only say it is a file)",
    },
    ("POST", "/api/v1/subscription"): {400: "a plan code must be one GET /api/v1/plans lists (plans are data)"},
    ("POST", "/store/{slug}/api/setup-password"): {400: "password and confirmPassword must be the same"},
    ("POST", "/api/v1/orders"): {422: "ordered products and the shipping address must be the company's, on sale"},
    ("PUT", "/store/{slug}/api/cart/items/{product_id}"): {422: "only a product on sale goes in the cart"},
    ("POST", "/store/{slug}/api/orders"): {422: "the cart must hold products and the address be the customer's"},
}
# Business rule: an email address must be one mail can reach, so special-use domains (`.test`, `.local`,
# `.invalid`, `localhost`…) are refused, which `format: email` cannot say: generated addresses use a
# domain that is not special-use.
DELIVERABLE_EMAIL = r"\A[a-z0-9]{1,12}(?:[._-][a-z0-9]{1,12}){0,2}@example\.com\Z"
schemathesis.openapi.format("email", strategies.from_regex(DELIVERABLE_EMAIL))
# Every list: a `cursor` must be the `nextCursor` of an earlier page, which no schema can say.
CURSOR_RULE = {400: "a cursor is one this API issued"}
# Every POST: the fuzzer draws the same `Idempotency-Key` for different bodies, which the gateway refuses.
IDEMPOTENCY_RULE = {422: "an Idempotency-Key already used for another request"}
# What positive_data_acceptance expects of a schema-valid request by default.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


@dataclass(frozen=True)
class Caller:
    name: str
    slug: str
    # Credentials by the document's security scheme names (gateway.openapi.SECURITY_SCHEMES).
    auth: dict[str, dict[str, str]]


def _expect(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def _company_on_scale_plan(client: httpx.Client) -> dict[str, Any]:
    """A new company through `client`, signed in as its owner, on the plan with no limits."""
    tag = uuid.uuid4().hex[:8]
    account = _expect(
        client.post(
            "/api/v1/signup",
            json={
                "companyName": f"Fuzz Wholesale {tag}",
                "name": "Fuzz Owner",
                "email": f"fuzz-owner-{tag}@example.com",
                "password": PASSWORD,
            },
        ),
        201,
    )
    client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
    _expect(client.post("/api/v1/subscription", json={"planCode": "scale", "billingProfile": BILLING_PROFILE}), 200)
    return account


def _session_auth(scheme: str, session: str, client: httpx.Client) -> dict[str, dict[str, str]]:
    token = client.cookies[CSRF_COOKIE]
    return {scheme: {"api_key": session}, CSRF_SCHEME: {"api_key": token}, CSRF_COOKIE_SCHEME: {"api_key": token}}


def _staff(client: httpx.Client, base_url: str) -> Caller:
    _company_on_scale_plan(client)
    # The fuzzer changes this company's slug (PATCH /api/v1/company): its storefront operations go to
    # another company's storefront, which stays where it is.
    with httpx.Client(base_url=base_url, timeout=30) as other:
        storefront = _company_on_scale_plan(other)["company"]["slug"]
    return Caller("staff", storefront, _session_auth(STAFF_SESSION, client.cookies[STAFF_COOKIE], client))


def _api_key(client: httpx.Client) -> Caller:
    account = _company_on_scale_plan(client)
    key = _expect(client.post("/api/v1/api-keys", json={"name": "Fuzzer", "scopes": list(SCOPES)}), 201)
    return Caller("api_key", account["company"]["slug"], {API_KEY: {"bearer": key["secret"]}})


def _storefront(client: httpx.Client, base_url: str) -> Caller:
    account = _company_on_scale_plan(client)
    slug = account["company"]["slug"]
    email = f"fuzz-buyer-{uuid.uuid4().hex[:8]}@example.com"
    _expect(client.post("/api/v1/customers", json={"email": email, "name": "Fuzz Diner"}), 201)
    with httpx.Client(base_url=base_url) as store:
        setup = {"email": email, "password": PASSWORD, "confirmPassword": PASSWORD}
        _expect(store.post(f"/store/{slug}/api/setup-password", json=setup), 200)
        _expect(store.post(f"/store/{slug}/api/login", json={"email": email, "password": PASSWORD}), 200)
        auth = _session_auth(STOREFRONT_SESSION, store.cookies[STOREFRONT_COOKIE], store)
    return Caller("storefront", slug, auth)


def _anonymous(client: httpx.Client) -> Caller:
    account = _company_on_scale_plan(client)
    return Caller("anonymous", account["company"]["slug"], {})


def _forget_attempts(platform: PlatformSettings) -> None:
    """Sign-up and sign-in attempts are counted per client IP, and every test calls from 127.0.0.1:
    the fuzzer's attempts (it tries those routes many times) must not refuse the tests that follow,
    nor earlier tests' attempts refuse this one's set-up."""
    with redis.Redis.from_url(platform.redis_url) as client:
        for key in client.scan_iter(f"{platform.namespace}-e2e:ratelimit:*"):
            client.delete(key)


@pytest.fixture(scope="module", params=CALLERS)
def caller(request: pytest.FixtureRequest, full_system: RunningSystem, platform: PlatformSettings) -> Iterator[Caller]:
    _forget_attempts(platform)
    with httpx.Client(base_url=full_system.base_url, timeout=30) as owner:
        if request.param == "staff":
            made = _staff(owner, full_system.base_url)
        elif request.param == "api_key":
            made = _api_key(owner)
        elif request.param == "storefront":
            made = _storefront(owner, full_system.base_url)
        else:
            made = _anonymous(owner)
    yield made
    _forget_attempts(platform)


def covering_caller(operation: dict[str, Any], default_security: list[dict[str, Any]]) -> str:
    """The caller whose run walks the operation's boundary cases: the one it is for (staff for staff routes, a
    storefront account for storefront routes, anyone for public ones). The other callers fuzz it too, which
    checks how it treats them; its boundary cases would only be asked again with other credentials."""
    requirements = operation.get("security", default_security)
    schemes = {scheme for requirement in requirements for scheme in requirement}
    if STAFF_SESSION in schemes:
        return "staff"
    if STOREFRONT_SESSION in schemes:
        return "storefront"
    return "anonymous"


@pytest.fixture(scope="module")
def api_schema(caller: Caller, full_system: RunningSystem) -> OpenApiSchema:
    document = httpx.get(f"{full_system.base_url}/api/v1/openapi.json", timeout=30).json()
    operations: list[dict[str, Any]] = [
        {"include-name": f"{method} {path}", "enabled": False} for (method, path) in EXCLUDED.get(caller.name, {})
    ]
    rules: dict[tuple[str, str], dict[int, str]] = {key: dict(value) for key, value in BUSINESS_RULES.items()}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            parameters = operation.get("parameters", [])
            if any(parameter["name"] == "cursor" for parameter in parameters):
                rules.setdefault((method.upper(), path), {}).update(CURSOR_RULE)
            if any(parameter["name"] == IDEMPOTENCY_HEADER for parameter in parameters):
                rules.setdefault((method.upper(), path), {}).update(IDEMPOTENCY_RULE)
    # One entry per operation (the first that matches is the one applied).
    overrides: dict[tuple[str, str], dict[str, Any]] = {}
    for (method, path), refusals in rules.items():
        expected = ACCEPTED + [str(status) for status in refusals]
        overrides[(method, path)] = {"checks": {"positive_data_acceptance": {"expected-statuses": expected}}}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if covering_caller(operation, document.get("security", [])) != caller.name:
                overrides.setdefault((method.upper(), path), {})["phases"] = {"coverage": {"enabled": False}}
    operations += [{"include-name": f"{method} {path}", **override} for (method, path), override in overrides.items()]
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": full_system.base_url,
            **({"auth": {"openapi": caller.auth}} if caller.auth else {}),
            "parameters": {"path.slug": caller.slug},
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True, "mode": "all"},
            # Every phase: the schema's examples, its boundary cases (coverage: one pass over what the schema
            # defines, bounded by the document rather than max-examples), and the fuzzing bounded above.
            "phases": {"coverage": {"enabled": True}},
            "checks": {"enabled": True},
            "operations": operations,
        }
    )
    return schemathesis.openapi.from_dict(document, config=config)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis' lazy-schema tests read and rename `node._nodeid`, which pytest 9 no longer has.
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_answers_as_documented(case: Case[Any]) -> None:
    case.call_and_validate(timeout=30)
