"""Gateway test fixtures: the gateway on real Redis, in front of small stand-in upstreams.

The stand-ins are echo apps that record what reached them; they test the gateway's mechanics
(what is forwarded, signed, refused). The real services are exercised through the gateway in
tests/e2e.
"""

import itertools
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.app import create_app
from gateway.csrf import CSRF_COOKIE, CSRF_HEADER
from gateway.settings import SERVICES, GatewaySettings
from kit.context import CONTEXT_HEADER, ContextSigner, RequestContext
from kit.settings import PlatformSettings
from tests.infrastructure import Infrastructure

if TYPE_CHECKING:
    from tests.gateway.live_gateway import LiveGateway

WRONG_PASSWORD = "wrong-password"


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def context_token(self) -> str | None:
        return self.headers.get(CONTEXT_HEADER.lower())


@dataclass
class FakeService:
    """An upstream that records each request and echoes it back (plus a few canned answers)."""

    name: str
    signer: ContextSigner
    received: list[Received] = field(default_factory=list)
    openapi: dict[str, Any] | None = None
    storefronts: dict[str, dict[str, str]] = field(default_factory=dict)
    companies: dict[str, dict[str, Any]] = field(default_factory=dict)
    audit_entries: list[dict[str, Any]] = field(default_factory=list)
    # Identity's answers to the gateway's API key lookups: secret hash → key.
    api_keys: dict[str, dict[str, Any]] = field(default_factory=dict)

    def context_of(self, received: Received) -> RequestContext:
        assert received.context_token, "no internal context was forwarded"
        return self.signer.verify(received.context_token, self.name)

    def calls_to(self, path: str) -> list[Received]:
        return [call for call in self.received if call.path == path]

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            body = await request.body()
            received = Received(
                request.method,
                request.url.path,
                request.url.query,
                {name.lower(): value for name, value in request.headers.items()},
                body,
            )
            if request.url.path == "/healthz":
                return JSONResponse({"status": "ok"})
            self.received.append(received)
            return self.answer(received)

        return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PATCH", "PUT", "DELETE"])])

    def answer(self, received: Received) -> Response:
        path, method = received.path, received.method
        if path == "/openapi.json":
            return JSONResponse(self.openapi) if self.openapi is not None else _problem(503, "starting")
        if path.startswith("/internal/api-keys/"):
            key = self.api_keys.get(path.rsplit("/", 1)[-1])
            return JSONResponse(key) if key is not None else _problem(404, "API key not found.")
        if path.startswith("/internal/principals/"):
            return self.principal(path.rsplit("/", 1)[-1])
        if path.startswith("/internal/storefronts/"):
            entry = self.storefronts.get(path.rsplit("/", 1)[-1])
            if entry is None:
                return _problem(404, "Storefront not found.")
            return JSONResponse(entry)
        if self.name == "identity" and path in ("/api/v1/signup", "/api/v1/auth/login") and method == "POST":
            return self.sign_in(received)
        context = self.context_of(received)
        company = self.companies.get(str(context.company_id))
        if self.name == "identity" and company is not None:
            if path == "/api/v1/me":
                return JSONResponse({"user": company["user"], "company": _summary(company), "role": company["role"]})
            if path == "/api/v1/company" and method == "GET":
                return JSONResponse(_summary(company))
            if path == "/api/v1/company" and method == "PATCH":
                changes = json.loads(received.body)
                if changes.get("slug") == "taken":
                    return _problem(
                        409, "That storefront address is taken.", [{"field": "slug", "message": "already in use"}]
                    )
                company.update({key: value for key, value in changes.items() if value})
                return JSONResponse(_summary(company))
            if path == "/api/v1/company" and method == "DELETE":
                if json.loads(received.body or b"{}").get("confirmSlug") != company["slug"]:
                    return _problem(
                        422,
                        "Type the company's storefront address to confirm.",
                        [{"field": "confirmSlug", "message": "does not match the storefront address"}],
                    )
                # Gone with its principals: the sessions of its staff stop at once.
                del self.companies[company["id"]]
                return JSONResponse({"id": company["id"]}, 202)
            if path == "/api/v1/subscription":
                return JSONResponse(
                    {
                        "planCode": "starter",
                        "planName": "Starter",
                        "status": "TRIALING",
                        "trialEndsAt": "2099-01-01T00:00:00Z",
                        "trialDaysLeft": 14,
                        "limits": {
                            "maxProducts": 100,
                            "maxTeamMembers": 3,
                            "maxCustomers": 50,
                            "maxOrdersPerMonth": None,
                        },
                        "usage": {"products": 0, "teamMembers": 1, "customers": 0, "ordersThisMonth": 0},
                        "billingProfile": None,
                    }
                )
        if self.name == "audit" and path == "/api/v1/audit-logs":
            cursor = dict(item.split("=", 1) for item in received.query.split("&") if "=" in item).get("cursor")
            page = self.audit_entries[1:] if cursor else self.audit_entries[:1]
            return JSONResponse({"items": page, "nextCursor": None if cursor else "page2"})
        echo = {
            "service": self.name,
            "method": method,
            "path": path,
            "query": received.query,
            "body": received.body.decode(errors="replace"),
        }
        return JSONResponse(echo, headers={"X-Upstream": self.name, "Set-Cookie": "upstream=1"})

    def sign_in(self, received: Received) -> Response:
        body = json.loads(received.body)
        if body.get("password") == WRONG_PASSWORD:
            return _problem(401, "Email or password is incorrect.")
        if "companyName" in body and not body["companyName"]:
            return _problem(422, "companyName: required", [{"field": "companyName", "message": "Field required"}])
        company_id = str(uuid.uuid4())
        company = {
            "id": company_id,
            "name": body.get("companyName") or "Acme Distributors",
            "slug": "acme-" + secrets.token_hex(3),
            "user": {"id": str(uuid.uuid4()), "email": body["email"], "name": body.get("name") or "Ada"},
            "role": body.get("role", "OWNER"),
            "membershipId": str(uuid.uuid4()),
        }
        self.companies[company_id] = company
        status = 201 if received.path.endswith("signup") else 200
        answer = {
            "user": company["user"],
            "company": _summary(company),
            "role": company["role"],
            "membershipId": company["membershipId"],
        }
        return JSONResponse(answer, status)

    def principal(self, ref: str) -> Response:
        """The stand-in's principal directory: each company's one member, with their role as it is now."""
        for company in self.companies.values():
            if company["membershipId"] == ref:
                entry = {
                    "ref": ref,
                    "type": "user",
                    "id": company["user"]["id"],
                    "companyId": company["id"],
                    "role": company["role"],
                    "customerId": None,
                }
                return JSONResponse(entry)
        return _problem(404, "Principal not found.")


def _summary(company: dict[str, Any]) -> dict[str, Any]:
    return {"id": company["id"], "name": company["name"], "slug": company["slug"]}


def _problem(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": "Problem", "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status, media_type="application/problem+json")


_addresses = itertools.count(1)


def unique_ip() -> str:
    number = next(_addresses)
    return f"198.51.{100 + number // 250}.{number % 250 + 1}"


def unique_email() -> str:
    return f"user-{secrets.token_hex(4)}@example.com"


@dataclass
class GatewayHarness:
    client: httpx.AsyncClient
    app: Any
    services: dict[str, FakeService]
    redis: Redis
    namespace: str
    settings: GatewaySettings
    signer: ContextSigner
    client_ip: str

    def client_from(self, ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(ip, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")

    async def sign_up(self, *, role: str = "OWNER", client: httpx.AsyncClient | None = None) -> dict[str, Any]:
        client = client or self.client
        response = await client.post(
            "/api/v1/signup",
            json={
                "companyName": "Acme",
                "name": "Ada",
                "email": unique_email(),
                "password": "s3cret-pass",
                "role": role,
            },
        )
        assert response.status_code == 201, response.text
        # What a browser script does: send the CSRF cookie's value back with each change.
        client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
        body: dict[str, Any] = response.json()
        return body


GatewayFactory = Callable[..., AbstractAsyncContextManager[GatewayHarness]]


@pytest.fixture
async def test_redis(infra: Infrastructure) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def make_gateway(platform: PlatformSettings, signer: ContextSigner, test_redis: Redis) -> GatewayFactory:
    """Builds a gateway with its own Redis namespace; `down` names services that are unreachable."""

    @asynccontextmanager
    async def build(*, down: tuple[str, ...] = (), **overrides: Any) -> AsyncIterator[GatewayHarness]:
        namespace = f"{platform.namespace}-{secrets.token_hex(4)}"
        test_platform = platform.model_copy(update={"namespace": namespace})
        # Nothing listens on port 9 locally: services named in `down` are unreachable.
        urls = {f"{name}_url": "http://127.0.0.1:9" for name in SERVICES}
        settings = GatewaySettings(**{**urls, **overrides})
        services = {name: FakeService(name, signer) for name in SERVICES}
        transports: dict[str, httpx.AsyncBaseTransport] = {
            name: httpx.ASGITransport(app=service.app()) for name, service in services.items() if name not in down
        }
        app = create_app(settings, test_platform, transports=transports)
        ip = unique_ip()
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://gateway.test"
                )
            )
            try:
                yield GatewayHarness(client, app, services, test_redis, namespace, settings, signer, ip)
            finally:
                keys = [key async for key in test_redis.scan_iter(f"{namespace}:*")]
                if keys:
                    await test_redis.delete(*keys)

    return build


@pytest.fixture
async def gateway(make_gateway: GatewayFactory) -> AsyncIterator[GatewayHarness]:
    async with make_gateway() as harness:
        yield harness


@pytest.fixture
def live(running_gateway: "LiveGateway") -> "LiveGateway":
    """The module's `running_gateway` (a gateway on a real socket, tests/gateway/live_gateway.py) with
    its stand-in services' records of earlier tests cleared."""
    running_gateway.forget_calls()
    return running_gateway
