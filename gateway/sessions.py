"""Server-side sessions in Redis behind opaque cookies: staff sessions and storefront sessions.

A token is `{ref}.{random}`, where `ref` names the session's principal in the principal directory
(a membership for staff, a customer or contact on a storefront). One pipelined round trip reads the
session (GETEX, restarting its idle timer) together with the principal's current entry, so a role
change or a removal applies on the holder's next request. The absolute limit is checked against
`createdAt`. Signing in always issues a new token.
"""

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from redis.asyncio import Redis

from contracts.redis import PRINCIPAL_KEY_PREFIX, SESSION_KEY_PREFIX, PrincipalEntry
from kit.db import utcnow

STAFF_COOKIE = "distribu_session"
# Scoped to `Path=/store/{slug}`: a browser holds one per storefront, sent only under it.
STOREFRONT_COOKIE = "distribu_store_session"
CSRF_COOKIE = "distribu_csrf"


@dataclass(frozen=True)
class CookieNames:
    """The names of the gateway's cookies; every reader and writer takes them from `cookie_names`."""

    staff: str
    storefront: str
    csrf: str


PLAIN_COOKIES = CookieNames(staff=STAFF_COOKIE, storefront=STOREFRONT_COOKIE, csrf=CSRF_COOKIE)
# With GATEWAY_COOKIE_SECURE (HTTPS): a `__Host-` cookie is only accepted from a secure origin, with Path=/
# and no Domain, so a sibling subdomain or a plain-HTTP page cannot plant or overwrite it (the way to
# force a known session or CSRF token on a victim). The storefront session needs Path=/store/{slug}, which
# `__Host-` forbids; `__Secure-` still keeps it from being set over plain HTTP.
SECURE_COOKIES = CookieNames(
    staff=f"__Host-{STAFF_COOKIE}", storefront=f"__Secure-{STOREFRONT_COOKIE}", csrf=f"__Host-{CSRF_COOKIE}"
)


def cookie_names(secure: bool) -> CookieNames:
    return SECURE_COOKIES if secure else PLAIN_COOKIES


SessionKind = Literal["staff", "storefront"]


@dataclass(frozen=True)
class StoredSession:
    token: str
    kind: SessionKind
    ref: uuid.UUID
    principal_type: str
    principal_id: uuid.UUID
    company_id: uuid.UUID
    created_at: datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "ref": str(self.ref),
                "principal": {"type": self.principal_type, "id": str(self.principal_id)},
                "companyId": str(self.company_id),
                "createdAt": self.created_at.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, token: str, raw: str | bytes) -> "StoredSession":
        data: dict[str, Any] = json.loads(raw)
        return cls(
            token=token,
            kind=data["kind"],
            ref=uuid.UUID(data["ref"]),
            principal_type=str(data["principal"]["type"]),
            principal_id=uuid.UUID(data["principal"]["id"]),
            company_id=uuid.UUID(data["companyId"]),
            created_at=datetime.fromisoformat(data["createdAt"]),
        )

    def matches(self, entry: PrincipalEntry) -> bool:
        """Whether the directory entry is still the principal this session was opened for."""
        return (
            entry.ref == self.ref
            and entry.id == self.principal_id
            and entry.type == self.principal_type
            and entry.company_id == self.company_id
        )


@dataclass(frozen=True)
class LoadedSession:
    session: StoredSession
    # None when the directory has no entry (expired, or the principal was removed): ask identity.
    entry: PrincipalEntry | None


class SessionStore:
    def __init__(self, redis: Redis, namespace: str, *, idle: timedelta, absolute: timedelta) -> None:
        self.redis = redis
        self.namespace = namespace
        self.idle = idle
        self.absolute = absolute

    def key(self, token: str) -> str:
        return f"{self.namespace}:{SESSION_KEY_PREFIX}:{token}"

    def principal_key(self, ref: uuid.UUID) -> str:
        return f"{self.namespace}:{PRINCIPAL_KEY_PREFIX}:{ref}"

    async def create(
        self,
        *,
        kind: SessionKind,
        ref: uuid.UUID,
        principal_type: str,
        principal_id: uuid.UUID,
        company_id: uuid.UUID,
        replacing: str | None = None,
    ) -> StoredSession:
        """A new session; the token it replaces (the caller's previous one), if any, stops working."""
        session = StoredSession(
            token=f"{ref.hex}.{secrets.token_urlsafe(32)}",
            kind=kind,
            ref=ref,
            principal_type=principal_type,
            principal_id=principal_id,
            company_id=company_id,
            created_at=utcnow(),
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            if replacing and _ref_of(replacing) is not None:
                pipe.delete(self.key(replacing))
            pipe.set(self.key(session.token), session.to_json(), ex=self.idle)
            await pipe.execute()
        return session

    async def load(self, token: str, kind: SessionKind) -> LoadedSession | None:
        """The live session for `token` with its principal's entry; None if unknown, expired or not `kind`."""
        loaded, _ = await self.load_with(token, kind)
        return loaded

    async def load_with(
        self, token: str | None, kind: SessionKind, *, also: str | None = None
    ) -> tuple[LoadedSession | None, str | bytes | None]:
        """`load`, plus the value at the key `also`, read in the same round trip (a storefront's entry)."""
        ref = _ref_of(token) if token else None
        async with self.redis.pipeline(transaction=False) as pipe:
            if also is not None:
                pipe.get(also)
            if ref is not None and token:
                pipe.getex(self.key(token), ex=self.idle)
                pipe.get(self.principal_key(ref))
            results = await pipe.execute() if len(pipe) else []
        also_value = results.pop(0) if also is not None else None
        if ref is None or token is None:
            return None, also_value
        return await self._loaded(token, ref, kind, *results), also_value

    async def _loaded(
        self,
        token: str,
        ref: uuid.UUID,
        kind: SessionKind,
        raw_session: str | bytes | None,
        raw_entry: str | bytes | None,
    ) -> LoadedSession | None:
        if raw_session is None:
            return None
        try:
            session = StoredSession.from_json(token, raw_session)
        except (ValueError, KeyError, TypeError):
            await self.delete(token)
            return None
        if session.kind != kind or session.ref != ref:
            return None
        if utcnow() - session.created_at >= self.absolute:
            await self.delete(token)
            return None
        entry = None
        if raw_entry is not None:
            try:
                entry = PrincipalEntry.model_validate_json(raw_entry)
            except ValidationError:
                entry = None
        return LoadedSession(session, entry)

    async def delete(self, token: str) -> None:
        if _ref_of(token) is not None:
            await self.redis.delete(self.key(token))


def _ref_of(token: str) -> uuid.UUID | None:
    """The principal reference a token starts with; None for anything that could not be ours."""
    ref, dot, secret = token.partition(".")
    if not dot or len(ref) != 32 or not 40 <= len(secret) <= 64:
        return None
    if not all(ch.isalnum() or ch in "-_" for ch in secret):
        return None
    try:
        return uuid.UUID(hex=ref)
    except ValueError:
        return None
