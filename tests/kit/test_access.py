"""`kit.access`: each declared access lets its callers through and refuses the rest, as the gateway would."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from kit.access import INTERNAL, PUBLIC, STOREFRONT, RouteAccess, require_staff_or_key, route_access, staff
from kit.context import ContextSigner, Principal, RequestContext
from kit.errors import Forbidden, Unauthorized, install_problem_handlers
from tests.conftest import context_headers

SERVICE = "kitaccess"
COMPANY = uuid.UUID("0190a0a0-0000-7000-8000-00000000c0de")
PROBLEM_JSON = "application/problem+json"

router = APIRouter()


@router.get("/owner", dependencies=[staff("OWNER")])
@router.get("/owner-or-admin", dependencies=[staff("OWNER", "ADMIN")])
@router.get("/any-staff", dependencies=[staff()])
@router.api_route("/catalog", methods=["GET", "POST", "PATCH", "DELETE"], dependencies=[staff(scope="catalog")])
@router.get("/store", dependencies=[STOREFRONT])
@router.post("/store", dependencies=[STOREFRONT])
@router.get("/public", dependencies=[PUBLIC])
@router.get("/internal", dependencies=[INTERNAL])
async def answer() -> dict[str, bool]:
    return {"ok": True}


@pytest.fixture(scope="module")
def signer() -> ContextSigner:
    return ContextSigner("kit-access-test-secret-" + "x" * 32)


@pytest.fixture(scope="module")
async def client(signer: ContextSigner) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.service_name = SERVICE
    app.state.context_signer = signer
    install_problem_handlers(app)
    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        yield client


def user(role: str) -> Principal:
    return Principal(type="user", id=uuid.uuid4(), role=role)


def api_key(*scopes: str) -> Principal:
    return Principal(type="api_key", id=uuid.uuid4(), scopes=list(scopes))


CUSTOMER_ID = uuid.uuid4()
CONTACT = Principal(type="contact", id=uuid.uuid4(), role="ADMIN", customer_id=CUSTOMER_ID)
CUSTOMER = Principal(type="customer", id=CUSTOMER_ID, role="ADMIN", customer_id=CUSTOMER_ID)
ANONYMOUS = Principal(type="anonymous")


async def call(
    client: httpx.AsyncClient,
    signer: ContextSigner,
    method: str,
    path: str,
    principal: Principal,
    *,
    company_id: uuid.UUID | None = COMPANY,
    internal: bool = False,
) -> int:
    headers = context_headers(signer, SERVICE, company_id=company_id, principal=principal, internal=internal)
    response = await client.request(method, path, headers=headers)
    if response.status_code != 200:
        assert response.headers["content-type"] == PROBLEM_JSON
    return response.status_code


async def test_staff_routes_take_only_the_roles_they_name(client: httpx.AsyncClient, signer: ContextSigner) -> None:
    expected = {
        "/owner": {"OWNER": 200, "ADMIN": 403, "MEMBER": 403},
        "/owner-or-admin": {"OWNER": 200, "ADMIN": 200, "MEMBER": 403},
        "/any-staff": {"OWNER": 200, "ADMIN": 200, "MEMBER": 200},
    }
    for path, by_role in expected.items():
        answers = {role: await call(client, signer, "GET", path, user(role)) for role in by_role}
        assert answers == by_role, path


async def test_staff_routes_need_a_sign_in_and_refuse_storefront_accounts(
    client: httpx.AsyncClient, signer: ContextSigner
) -> None:
    assert await call(client, signer, "GET", "/any-staff", ANONYMOUS) == 401
    assert await call(client, signer, "GET", "/any-staff", user("OWNER"), company_id=None) == 401
    # The gateway's own calls are anonymous: they are no sign-in either.
    assert await call(client, signer, "GET", "/any-staff", ANONYMOUS, internal=True) == 401
    assert await call(client, signer, "GET", "/any-staff", CONTACT) == 403
    assert await call(client, signer, "GET", "/any-staff", CUSTOMER) == 403
    assert await call(client, signer, "GET", "/any-staff", Principal(type="system")) == 403


async def test_api_keys_need_the_routes_scope_read_for_safe_methods_write_for_the_rest(
    client: httpx.AsyncClient, signer: ContextSigner
) -> None:
    reader, writer, other = api_key("catalog:read"), api_key("catalog:write"), api_key("orders:write", "audit:read")
    assert await call(client, signer, "GET", "/catalog", reader) == 200
    for method in ("POST", "PATCH", "DELETE"):
        assert await call(client, signer, method, "/catalog", reader) == 403, method
        assert await call(client, signer, method, "/catalog", writer) == 200, method
    # `write` includes `read`.
    assert await call(client, signer, "GET", "/catalog", writer) == 200
    assert await call(client, signer, "GET", "/catalog", other) == 403
    # A route that names no scope is for staff only, whatever the key holds.
    every_scope = api_key("catalog:write", "customers:write", "orders:write", "audit:write")
    assert await call(client, signer, "GET", "/any-staff", every_scope) == 403
    assert await call(client, signer, "GET", "/owner", every_scope) == 403


async def test_storefront_routes_take_guests_customers_and_contacts_of_a_storefront_only(
    client: httpx.AsyncClient, signer: ContextSigner
) -> None:
    for principal in (ANONYMOUS, CUSTOMER, CONTACT):
        assert await call(client, signer, "GET", "/store", principal) == 200, principal.type
        assert await call(client, signer, "POST", "/store", principal) == 200, principal.type
    assert await call(client, signer, "GET", "/store", user("OWNER")) == 403
    assert await call(client, signer, "POST", "/store", api_key("catalog:write")) == 403
    assert await call(client, signer, "GET", "/store", ANONYMOUS, company_id=None) == 401


async def test_internal_routes_exist_only_for_the_gateways_own_calls(
    client: httpx.AsyncClient, signer: ContextSigner
) -> None:
    assert await call(client, signer, "GET", "/internal", ANONYMOUS, company_id=None, internal=True) == 200
    for principal in (ANONYMOUS, user("OWNER"), api_key("catalog:write"), CONTACT):
        assert await call(client, signer, "GET", "/internal", principal) == 404, principal.type
    assert (await client.get("/internal")).status_code == 401  # no context at all


async def test_public_routes_take_anyone_with_a_context(client: httpx.AsyncClient, signer: ContextSigner) -> None:
    for principal in (ANONYMOUS, user("MEMBER"), api_key(), CONTACT):
        assert await call(client, signer, "GET", "/public", principal, company_id=None) == 200
    assert (await client.get("/public")).status_code == 401


def test_a_route_must_declare_exactly_one_access() -> None:
    declared_twice = APIRouter(dependencies=[PUBLIC])
    bare = APIRouter()

    @declared_twice.get("/twice", dependencies=[staff()])
    @bare.get("/bare")
    async def endpoint() -> None:
        return None

    routes = [route for route in (*declared_twice.routes, *bare.routes) if isinstance(route, APIRoute)]
    for route in routes:
        with pytest.raises(ValueError, match=route.path):
            route_access(route)
    assert route_access(_route_of(router, "/owner")) == RouteAccess("staff", frozenset({"OWNER"}))


def test_service_code_can_check_staff_or_a_scoped_key_again() -> None:
    def context(principal: Principal) -> RequestContext:
        return RequestContext(company_id=COMPANY, principal=principal, request_id="test")

    assert require_staff_or_key(context(user("MEMBER")), "catalog:write") == COMPANY
    assert require_staff_or_key(context(api_key("catalog:read")), "catalog:read") == COMPANY
    refused: list[tuple[Principal, type[Exception]]] = [
        (api_key("catalog:read"), Forbidden),
        (CONTACT, Forbidden),
        (ANONYMOUS, Unauthorized),
    ]
    for principal, error in refused:
        with pytest.raises(error):
            require_staff_or_key(context(principal), "catalog:write")


def _route_of(source: APIRouter, path: str) -> APIRoute:
    return next(route for route in source.routes if isinstance(route, APIRoute) and route.path == path)


def test_a_route_cannot_declare_a_staff_role_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="unknown staff roles"):
        staff("OWNER", "SUPERUSER")
