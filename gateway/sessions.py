"""Server-side staff sessions in Redis behind an opaque cookie, with idle and absolute expiry.

The key's TTL is the idle timeout, refreshed by the same GETEX that reads it (one round trip per
request); the absolute limit is checked against `createdAt`. Signing in always issues a new token.
"""

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from kit.context import Principal
from kit.db import utcnow

STAFF_COOKIE = "distribu_session"
# Storefront sessions (issue 3) use their own cookie, scoped to `Path=/store/{slug}`.
STOREFRONT_COOKIE = "distribu_store_session"


@dataclass(frozen=True)
class StaffSession:
    token: str
    principal: Principal
    company_id: uuid.UUID
    created_at: datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "principal": {"type": self.principal.type, "id": str(self.principal.id), "role": self.principal.role},
                "companyId": str(self.company_id),
                "createdAt": self.created_at.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, token: str, raw: str | bytes) -> "StaffSession":
        data: dict[str, Any] = json.loads(raw)
        principal = data["principal"]
        return cls(
            token=token,
            principal=Principal(type=principal["type"], id=uuid.UUID(principal["id"]), role=principal.get("role")),
            company_id=uuid.UUID(data["companyId"]),
            created_at=datetime.fromisoformat(data["createdAt"]),
        )


class SessionStore:
    def __init__(self, redis: Redis, namespace: str, *, idle: timedelta, absolute: timedelta) -> None:
        self.redis = redis
        self.namespace = namespace
        self.idle = idle
        self.absolute = absolute

    def key(self, token: str) -> str:
        return f"{self.namespace}:session:{token}"

    async def create(
        self, *, user_id: uuid.UUID, company_id: uuid.UUID, role: str, replacing: str | None = None
    ) -> StaffSession:
        """A new session; the token it replaces (the caller's previous one), if any, stops working."""
        session = StaffSession(
            token=secrets.token_urlsafe(32),
            principal=Principal(type="user", id=user_id, role=role),
            company_id=company_id,
            created_at=utcnow(),
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            if replacing:
                pipe.delete(self.key(replacing))
            pipe.set(self.key(session.token), session.to_json(), ex=self.idle)
            await pipe.execute()
        return session

    async def load(self, token: str) -> StaffSession | None:
        """The live session for `token`, its idle timer restarted; None if unknown or expired."""
        if not _plausible_token(token):
            return None
        raw = await self.redis.getex(self.key(token), ex=self.idle)
        if raw is None:
            return None
        try:
            session = StaffSession.from_json(token, raw)
        except (ValueError, KeyError, TypeError):
            await self.delete(token)
            return None
        if utcnow() - session.created_at >= self.absolute:
            await self.delete(token)
            return None
        return session

    async def delete(self, token: str) -> None:
        if _plausible_token(token):
            await self.redis.delete(self.key(token))


def _plausible_token(token: str) -> bool:
    # token_urlsafe(32) is 43 characters; refuse anything that could not be ours before touching Redis.
    return 20 <= len(token) <= 64 and all(ch.isalnum() or ch in "-_" for ch in token)
