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

from contracts.redis import ApiKeyEntry, PrincipalEntry, StorefrontEntry
from gateway import csrf
from gateway.api_keys import ApiKeyDirectory, bearer_key
from gateway.csrf import SAFE_METHODS
from gateway.idempotency import IdempotencyStore, Replay, fingerprint
from gateway.ratelimit import allowances
from gateway.routes import Access, RouteMatch, RouteTable, SessionEffect
from gateway.sessions import (
    LoadedSession,
    SessionKind,
    SessionStore,
    StoredSession,
    cookie_names,
)
from gateway.settings import GatewaySettings
from gateway.storefronts import StorefrontDirectory
from gateway.upstreams import Upstreams, request_headers
from kit.context import ANONYMOUS, Principal, PrincipalType, RequestContext
from kit.errors import Forbidden, ServiceUnavailable, Unauthorized
from kit.logging import company_id_var
from kit.ratelimit import Allowance, Reservation, WindowLimiter

logger = logging.getLogger(__name__)

JSON_HEADERS = [("content-type", "application/json"), ("accept", "application/json")]


@dataclass
class Caller:
    """Who is calling, for which company, from where: resolved before anything is routed."""

    request_id: str
    client_ip: str | None
    principal: Principal = field(default_factory=lambda: ANONYMOUS)
    company_id: uuid.UUID | None = None
    # The cookie session that identified the caller (staff, or a storefront's customer or contact).
    session: StoredSession | None = None
    api_key: ApiKeyEntry | None = None
    # The session cookie as presented, valid or not: signing in again replaces it.
    presented_token: str | None = None
    storefront: StorefrontEntry | None = None

    @property
    def is_staff(self) -> bool:
        return self.session is not None and self.session.kind == "staff"

    @property
    def is_storefront_account(self) -> bool:
        return self.session is not None and self.session.kind == "storefront"

    @property
    def role(self) -> str | None:
        return self.principal.role if self.session is not None else None

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
    new_session: StoredSession | None = None

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
        *,
        csrf_tokens: csrf.CsrfTokens,
    ) -> None:
        self.settings = settings
        self.csrf_tokens = csrf_tokens
        self.cookie_names = cookie_names(settings.cookie_secure)
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
        self.api_keys = ApiKeyDirectory(redis, namespace, upstreams)
        self.limiter = WindowLimiter(redis, namespace)
        self.idempotency = IdempotencyStore(
            redis, namespace, upstream_timeout_seconds=settings.upstream_timeout_seconds
        )

    # -- identifying the caller -------------------------------------------------------------

    async def identify(self, request: Request, *, slug: str | None = None) -> Caller:
        """Tenant and principal, before anything is routed.

        Under `/store/{slug}`: the storefront's company, and the customer or contact whose storefront
        session (for this storefront only) the browser presents. Elsewhere: an API key's company and
        scopes when `Authorization: Bearer` carries one, else the staff session's member.
        """
        caller = Caller(request_id=request.state.request_id, client_ip=request.state.client_ip)
        if slug is not None:
            # The storefront's entry, the session and its principal: one Redis round trip.
            token = request.cookies.get(self.cookie_names.storefront)
            loaded, entry = await self.sessions.load_with(token, "storefront", also=self.storefronts.key(slug))
            caller.storefront = await self.storefronts.resolve(slug, caller.request_id, entry=entry)
            caller.company_id = caller.storefront.company_id
            await self._resume(caller, token, "storefront", loaded)
        elif (secret := bearer_key(request.headers.get("authorization"))) is not None:
            api_key = await self.api_keys.authenticate(secret, caller.request_id)
            if api_key is None:
                raise Unauthorized("This API key is not valid or has been revoked.")
            caller.api_key = api_key
            caller.principal = Principal(type="api_key", id=api_key.id, scopes=api_key.scopes)
            caller.company_id = api_key.company_id
        else:
            token = request.cookies.get(self.cookie_names.staff)
            await self._resume(caller, token, "staff", await self.sessions.load(token, "staff") if token else None)
        company_id_var.set(str(caller.company_id) if caller.company_id else None)
        return caller

    async def _resume(self, caller: Caller, token: str | None, kind: SessionKind, loaded: LoadedSession | None) -> None:
        """Take up the caller's session, with the principal as it is now (role, or gone)."""
        if not token:
            return
        caller.presented_token = token
        if loaded is None:
            return
        session = loaded.session
        if caller.storefront is not None and session.company_id != caller.storefront.company_id:
            return  # another storefront's session: anonymous here
        entry = loaded.entry or await self._principal_from_identity(session.ref, caller.request_id)
        if entry is None or not session.matches(entry):
            # Removed (or no longer the one it was): the session ends here.
            await self.sessions.delete(token)
            return
        caller.session = session
        caller.company_id = entry.company_id
        caller.principal = Principal(
            type=_principal_type(entry.type), id=entry.id, role=entry.role, customer_id=entry.customer_id
        )

    async def _principal_from_identity(self, ref: uuid.UUID, request_id: str) -> PrincipalEntry | None:
        response = await self.upstreams.call_internal("identity", "GET", f"/internal/principals/{ref}", request_id)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ServiceUnavailable("Your session cannot be checked right now; try again shortly.")
        try:
            return PrincipalEntry.model_validate(response.json())
        except (ValueError, KeyError, TypeError) as error:
            raise ServiceUnavailable("The principal directory answered unexpectedly.") from error

    # -- the route's rules ------------------------------------------------------------------

    def authorize(self, match: RouteMatch, caller: Caller, method: str) -> None:
        access = match.route.access
        if access.kind == "staff":
            if caller.api_key is not None:
                self._authorize_key(access, caller, method)
                return
            if not caller.is_staff:
                raise Unauthorized("Sign in to continue.")
            if caller.role not in access.roles:
                raise Forbidden(f"This requires the {access.describe_roles()} role.")
        elif access.kind == "storefront" and caller.storefront is None:
            raise Unauthorized("This endpoint is only available on a storefront.")

    def _authorize_key(self, access: Access, caller: Caller, method: str) -> None:
        if access.scope is None:
            raise Forbidden("API keys cannot use this endpoint; it is for signed-in staff only.")
        needed = f"{access.scope}:{'read' if method in SAFE_METHODS else 'write'}"
        if not caller.principal.has_scope(needed):
            raise Forbidden(f"This API key does not have the {needed} scope.")

    def check_csrf(self, request: Request, match: RouteMatch, caller: Caller) -> None:
        """A change made with a session cookie must prove it came from our pages or our own scripts."""
        signs_in = match.route.session != "none"
        if caller.session is not None and request.method not in SAFE_METHODS and not signs_in:
            # Bound to this very session: a token minted for another one, or a pair the caller made up, fails.
            self.csrf_tokens.require_header(request, caller.session.token)

    def _limits(self, match: RouteMatch, caller: Caller) -> list[Allowance]:
        """The client IP's allowances for this route. Per-account limits are identity's: it alone sees
        which account a call checks (an invite's acceptance names no email; the invite holds it), and
        it counts every check of that account's password in one place, whichever route it came by."""
        if match.route.rate_limit is None:
            return []
        company_id = caller.storefront.company_id if caller.storefront is not None else None
        return allowances(match.route.rate_limit, self.settings, caller.client_ip, company_id)

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
        self.authorize(match, caller, method)
        route = match.route
        needs_body = route.session != "none"
        if needs_body and content is not None and not isinstance(content, bytes):
            content = b"".join([chunk async for chunk in content])
        reservation: Reservation | None = None
        if route.rate_limit is not None:
            reservation = await self.limiter.reserve(self._limits(match, caller))
        try:
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
        except BaseException:
            if reservation is not None:
                # Nothing was checked: the attempt counts nowhere.
                await self.limiter.settle(reservation, succeeded=False, evaluated=False)
            raise
        if reservation is not None:
            # A 429 from the service (an account's backoff) is a refused attempt too, and counts nowhere.
            await self.limiter.settle(reservation, succeeded=response.is_success, evaluated=response.status_code != 429)
        outcome = Outcome(response)
        if response.is_success and route.session != "none":
            outcome.new_session = await self._establish_session(route.session, caller, response)
        return outcome

    async def call(
        self,
        caller: Caller,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        query: str = "",
        idempotency_key: str | None = None,
    ) -> Outcome:
        """A page's call to a public API path: the same table, rules and forwarding as integrators get.

        With `idempotency_key` (a form's own, rendered with it), the form posted twice creates once: the second
        post waits for the first one's answer and gets it (as `Idempotency-Key` does for API clients)."""
        match = self.routes.match(method, path)
        content = json.dumps(json_body).encode() if json_body is not None else None
        principal = caller.principal
        if idempotency_key is None or caller.company_id is None or principal.id is None:
            outcome = await self.forward(match, caller, method, query=query, headers=JSON_HEADERS, content=content)
            await outcome.response.aread()
            return outcome
        self.authorize(match, caller, method)
        record_key = self.idempotency.record_key(str(caller.company_id), principal, idempotency_key)
        begun = await self.idempotency.begin_or_wait(
            record_key, fingerprint(method, path, query, content or b""), within=self.settings.upstream_timeout_seconds
        )
        if isinstance(begun, Replay):
            kept = begun.response
            return Outcome(httpx.Response(kept.status_code, headers=kept.headers.items(), content=bytes(kept.body)))
        try:
            outcome = await self.forward(match, caller, method, query=query, headers=JSON_HEADERS, content=content)
            answer = await outcome.response.aread()
        except BaseException:
            await self.idempotency.release(begun)
            raise
        await self.idempotency.keep(begun, outcome.response.status_code, outcome.response.headers.items(), answer)
        return outcome

    async def _establish_session(
        self, effect: SessionEffect, caller: Caller, response: httpx.Response
    ) -> StoredSession:
        """Open the session a sign-in answer describes: {membershipId, user, company} or {account, company}."""
        try:
            body = response.json()
            company_id = uuid.UUID(str(body["company"]["id"]))
            if effect == "establish_staff":
                ref = uuid.UUID(str(body["membershipId"]))
                principal_type, principal_id = "user", uuid.UUID(str(body["user"]["id"]))
            else:
                ref = principal_id = uuid.UUID(str(body["account"]["id"]))
                principal_type = str(body["account"]["type"])
        except (ValueError, KeyError, TypeError) as error:
            logger.error("sign-in answer without its principal", extra={"error": repr(error)})
            raise ServiceUnavailable("Signing in failed on our side; try again shortly.") from error
        return await self.sessions.create(
            kind="staff" if effect == "establish_staff" else "storefront",
            ref=ref,
            principal_type=principal_type,
            principal_id=principal_id,
            company_id=company_id,
            replacing=caller.presented_token,
        )

    async def end_session(self, caller: Caller) -> None:
        if caller.presented_token:
            await self.sessions.delete(caller.presented_token)

    # -- cookies ----------------------------------------------------------------------------

    def set_session_cookie(self, response: Response, session: StoredSession, caller: Caller) -> None:
        """The session cookie, and the CSRF cookie holding the token bound to it (for scripts to send back)."""
        name, path = self._cookie(session.kind, caller)
        lifetime = int(self.sessions.absolute.total_seconds())
        secure = self.settings.cookie_secure
        response.set_cookie(
            name, session.token, max_age=lifetime, path=path, httponly=True, secure=secure, samesite="lax"
        )
        token = self.csrf_tokens.bound_to(session.token)
        csrf.write_cookie(response, self.cookie_names, token, secure=secure, max_age=lifetime)

    def clear_session_cookie(self, response: Response, caller: Caller) -> None:
        name, path = self._cookie("storefront" if caller.storefront is not None else "staff", caller)
        response.delete_cookie(name, path=path, httponly=True, secure=self.settings.cookie_secure, samesite="lax")

    def _cookie(self, kind: SessionKind, caller: Caller) -> tuple[str, str]:
        if kind == "storefront" and caller.storefront is not None:
            return self.cookie_names.storefront, f"/store/{caller.storefront.slug}"
        return self.cookie_names.staff, "/"


def _principal_type(kind: str) -> PrincipalType:
    types: dict[str, PrincipalType] = {"user": "user", "customer": "customer", "contact": "contact"}
    return types.get(kind, "anonymous")


def forwardable_headers(request: Request) -> list[tuple[str, str]]:
    return request_headers([(name, value) for name, value in request.headers.items()])
