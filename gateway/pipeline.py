"""What happens to every call through the gateway, API and pages alike.

Identify the caller (tenant and principal), authorize against the route table, count rate-limited
attempts, forward with a signed context, and turn a successful sign-in answer into a session.
"""

import json
import logging
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from fastapi import Request, Response
from redis.asyncio import Redis

from gateway.ratelimit import AttemptLimiter, Limit
from gateway.routes import RouteMatch, RouteTable
from gateway.sessions import STAFF_COOKIE, SessionStore, StaffSession
from gateway.settings import GatewaySettings
from gateway.storefronts import Storefront, StorefrontDirectory
from gateway.upstreams import Upstreams, request_headers
from kit.context import ANONYMOUS, Principal, RequestContext
from kit.errors import Forbidden, ServiceUnavailable, Unauthorized
from kit.logging import company_id_var

logger = logging.getLogger(__name__)

JSON_HEADERS = [("content-type", "application/json"), ("accept", "application/json")]


@dataclass
class Caller:
    """Who is calling, for which company, from where: resolved before anything is routed."""

    request_id: str
    client_ip: str | None
    principal: Principal = field(default_factory=lambda: ANONYMOUS)
    company_id: uuid.UUID | None = None
    session: StaffSession | None = None
    # The staff cookie as presented, valid or not: signing in again replaces it.
    presented_token: str | None = None
    storefront: Storefront | None = None

    @property
    def is_staff(self) -> bool:
        return self.session is not None

    @property
    def role(self) -> str | None:
        return self.principal.role if self.is_staff else None

    def context(self) -> RequestContext:
        return RequestContext(
            company_id=self.company_id,
            principal=self.principal,
            client_ip=self.client_ip,
            request_id=self.request_id,
        )


@dataclass
class Outcome:
    """A service's answer, and the session it established, if the route signs the caller in."""

    response: httpx.Response
    new_session: StaffSession | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return self.response.json()


class Gateway:
    def __init__(
        self,
        settings: GatewaySettings,
        namespace: str,
        redis: Redis,
        upstreams: Upstreams,
        routes: RouteTable | None = None,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.upstreams = upstreams
        self.routes = routes or RouteTable()
        self.sessions = SessionStore(
            redis,
            namespace,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
        self.storefronts = StorefrontDirectory(redis, namespace, upstreams)
        self.limiter = AttemptLimiter(redis, namespace)

    # -- identifying the caller -------------------------------------------------------------

    async def identify(self, request: Request, *, slug: str | None = None) -> Caller:
        """Tenant and principal: the storefront's company under `/store/{slug}`, else the staff session's."""
        caller = Caller(request_id=request.state.request_id, client_ip=request.state.client_ip)
        if slug is not None:
            caller.storefront = await self.storefronts.resolve(slug, caller.request_id)
            caller.company_id = caller.storefront.company_id
            # Issue 3: the storefront session (cookie STOREFRONT_COOKIE, valid only under this slug)
            # sets the customer/contact principal here. Until then storefront callers are anonymous.
        else:
            token = request.cookies.get(STAFF_COOKIE)
            if token:
                caller.presented_token = token
                session = await self.sessions.load(token)
                if session is not None:
                    caller.session = session
                    caller.principal = session.principal
                    caller.company_id = session.company_id
        company_id_var.set(str(caller.company_id) if caller.company_id else None)
        return caller

    # -- the route's rules ------------------------------------------------------------------

    def authorize(self, match: RouteMatch, caller: Caller) -> None:
        access = match.route.access
        if access.kind == "staff":
            if not caller.is_staff:
                raise Unauthorized("Sign in to continue.")
            if caller.role not in access.roles:
                raise Forbidden(f"This requires the {access.describe_roles()} role.")
        elif access.kind == "storefront" and caller.storefront is None:
            raise Unauthorized("This endpoint is only available on a storefront.")

    def _limits(self, match: RouteMatch, caller: Caller, body: bytes) -> tuple[str, list[Limit]]:
        bucket = str(match.route.rate_limit)
        if match.slug is not None:
            bucket = f"{bucket}:{match.slug}"
        limits = [Limit("ip", caller.client_ip or "unknown", self.settings.login_attempts_per_ip)]
        email = _email_in(body)
        if email:
            limits.append(Limit("email", email, self.settings.login_attempts_per_email))
        return bucket, limits

    # -- forwarding -------------------------------------------------------------------------

    async def forward(
        self,
        match: RouteMatch,
        caller: Caller,
        method: str,
        *,
        query: str = "",
        headers: list[tuple[str, str]] | None = None,
        content: bytes | AsyncIterable[bytes] | None = None,
    ) -> Outcome:
        """Authorize, rate limit and forward; a streamed answer unless the route signs the caller in."""
        self.authorize(match, caller)
        route = match.route
        needs_body = route.rate_limit is not None or route.session != "none"
        if needs_body and content is not None and not isinstance(content, bytes):
            content = b"".join([chunk async for chunk in content])
        bucket, limits = "", list[Limit]()
        if route.rate_limit is not None:
            bucket, limits = self._limits(match, caller, content if isinstance(content, bytes) else b"")
            await self.limiter.hit(bucket, limits)
        response = await self.upstreams.send(
            route.service,
            method,
            match.upstream_path,
            caller.context(),
            query=query,
            headers=headers,
            content=content,
            stream=not needs_body,
        )
        outcome = Outcome(response)
        if response.is_success:
            for limit in limits:
                if limit.what == "email":
                    await self.limiter.forget(bucket, limit)
        if response.is_success and route.session == "establish_staff":
            outcome.new_session = await self._establish_staff_session(caller, response)
        return outcome

    async def call(self, caller: Caller, method: str, path: str, *, json_body: Any = None, query: str = "") -> Outcome:
        """A page's call to a public API path: the same table, rules and forwarding as integrators get."""
        match = self.routes.match(method, path)
        content = json.dumps(json_body).encode() if json_body is not None else None
        outcome = await self.forward(match, caller, method, query=query, headers=JSON_HEADERS, content=content)
        await outcome.response.aread()
        return outcome

    async def _establish_staff_session(self, caller: Caller, response: httpx.Response) -> StaffSession:
        try:
            body = response.json()
            user_id = uuid.UUID(str(body["user"]["id"]))
            company_id = uuid.UUID(str(body["company"]["id"]))
            role = str(body["role"])
        except (ValueError, KeyError, TypeError) as error:
            logger.error("sign-in answer without user, company and role", extra={"error": repr(error)})
            raise ServiceUnavailable("Signing in failed on our side; try again shortly.") from error
        return await self.sessions.create(
            user_id=user_id, company_id=company_id, role=role, replacing=caller.presented_token
        )

    async def end_session(self, caller: Caller) -> None:
        if caller.presented_token:
            await self.sessions.delete(caller.presented_token)

    # -- cookies ----------------------------------------------------------------------------

    def set_session_cookie(self, response: Response, session: StaffSession) -> None:
        response.set_cookie(
            STAFF_COOKIE,
            session.token,
            max_age=int(self.sessions.absolute.total_seconds()),
            path="/",
            httponly=True,
            secure=self.settings.cookie_secure,
            samesite="lax",
        )

    def clear_session_cookie(self, response: Response) -> None:
        response.delete_cookie(
            STAFF_COOKIE, path="/", httponly=True, secure=self.settings.cookie_secure, samesite="lax"
        )


def forwardable_headers(request: Request) -> list[tuple[str, str]]:
    return request_headers([(name, value) for name, value in request.headers.items()])


def _email_in(body: bytes) -> str | None:
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("email"), str):
        return data["email"].strip().lower() or None
    return None
