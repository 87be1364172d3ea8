"""Integrators' API keys: `Authorization: Bearer <key>` → the key's company and scopes.

Identity keeps `{namespace}:apikey:{sha256}` for every active key (contracts.redis.ApiKeyEntry; removed
on revoke and with the key's company); the gateway reads it, falls back to identity on a miss, and
remembers an unknown key briefly so a revoked key hammering the API does not reach identity on every
call. An accepted call records the key's last use at `{namespace}:apikey-used:{sha256}`, which identity
shows in the key list, unless the use recorded is under a minute old: the entry and that time come in one
round trip, and a key in steady use costs no write per call.
"""

import hashlib
import logging
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from redis.asyncio import Redis

from contracts.redis import API_KEY_KEY_PREFIX, API_KEY_UNKNOWN, API_KEY_USED_KEY_PREFIX, ApiKeyEntry
from gateway.upstreams import Upstreams
from kit.db import utcnow
from kit.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

KEY_PREFIX = "dk_"
# How long "no such key" is remembered. It never hides a new key: a new key has a hash no one has asked for.
UNKNOWN_TTL_SECONDS = 300
# A key's last use is recorded again once the recorded one is this old.
USE_RECORDED_EVERY = timedelta(minutes=1)


def bearer_key(authorization: str | None) -> str | None:
    """The API key in an `Authorization: Bearer` header, if the header carries one."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def secret_hash(secret: str) -> str:
    # Keys are 256-bit random secrets: a plain SHA-256 is as strong as a slow hash here, and fast.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyDirectory:
    def __init__(self, redis: Redis, namespace: str, upstreams: Upstreams) -> None:
        self.redis = redis
        self.namespace = namespace
        self.upstreams = upstreams

    def key(self, digest: str) -> str:
        return f"{self.namespace}:{API_KEY_KEY_PREFIX}:{digest}"

    def used_key(self, digest: str) -> str:
        return f"{self.namespace}:{API_KEY_USED_KEY_PREFIX}:{digest}"

    async def authenticate(self, secret: str, request_id: str) -> ApiKeyEntry | None:
        """The active key behind `secret`, its use recorded; None for an unknown or revoked key."""
        if not secret.startswith(KEY_PREFIX) or len(secret) > 128:
            return None
        digest = secret_hash(secret)
        raw, used = await self.redis.mget(self.key(digest), self.used_key(digest))
        if raw in (API_KEY_UNKNOWN, API_KEY_UNKNOWN.encode()):
            return None
        key = self._parse(raw) if raw is not None else await self._ask_identity(digest, request_id)
        if key is None:
            return None
        now = utcnow()
        if used is None or now - _used_at(used) >= USE_RECORDED_EVERY:
            await self.redis.set(self.used_key(digest), now.isoformat())
        return key

    def _parse(self, raw: str | bytes) -> ApiKeyEntry | None:
        try:
            return ApiKeyEntry.model_validate_json(raw)
        except ValidationError:
            logger.warning("unreadable API key directory entry")
            return None

    async def _ask_identity(self, digest: str, request_id: str) -> ApiKeyEntry | None:
        response = await self.upstreams.call_internal("identity", "GET", f"/internal/api-keys/{digest}", request_id)
        if response.status_code == 404:
            await self.redis.set(self.key(digest), API_KEY_UNKNOWN, ex=UNKNOWN_TTL_SECONDS)
            return None
        if response.status_code != 200:
            raise ServiceUnavailable("API keys cannot be checked right now; try again shortly.")
        try:
            return ApiKeyEntry.model_validate_json(response.content)
        except ValidationError as error:
            raise ServiceUnavailable("The API key directory answered unexpectedly.") from error


def _used_at(recorded: str | bytes) -> datetime:
    """When a key's recorded use was; a value that is no time counts as long ago, so it is written again."""
    try:
        when = datetime.fromisoformat(recorded.decode() if isinstance(recorded, bytes) else recorded)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
