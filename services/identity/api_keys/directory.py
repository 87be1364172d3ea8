"""The API key directory in Redis: `{namespace}:apikey:{secret_hash}` → the active key behind a secret
(contracts.redis.ApiKeyEntry).

The gateway hashes a bearer secret and reads this entry; identity writes it after the commit that
creates a key and deletes it after the commit that revokes one, so a revoked key's next call is
refused. An entry expires after `TTL`; the gateway then asks identity (`/internal/api-keys/{hash}`),
which writes it again, so a lost write (Redis briefly away) is stale for at most that long.
The gateway records each key's last use at `{namespace}:apikey-used:{secret_hash}` (ISO 8601, UTC).
"""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.redis import API_KEY_KEY_PREFIX, API_KEY_USED_KEY_PREFIX, ApiKeyEntry
from kit.db import after_commit
from services.identity.models import ApiKey

TTL = timedelta(minutes=15)

logger = logging.getLogger(__name__)


def api_key_entry(key: ApiKey) -> ApiKeyEntry:
    return ApiKeyEntry(id=key.id, company_id=key.company_id, name=key.name, scopes=[str(scope) for scope in key.scopes])


def _timestamp(raw: bytes | str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw)
    except ValueError:
        logger.warning("unreadable API key last-use time", extra={"value": repr(raw)})
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class ApiKeyDirectory:
    def __init__(self, redis: "Redis", namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace

    def key(self, secret_hash: str) -> str:
        return f"{self.namespace}:{API_KEY_KEY_PREFIX}:{secret_hash}"

    def used_key(self, secret_hash: str) -> str:
        return f"{self.namespace}:{API_KEY_USED_KEY_PREFIX}:{secret_hash}"

    async def publish(self, secret_hash: str, entry: ApiKeyEntry) -> None:
        """Write the entry now; a Redis outage is logged (the entry heals on the gateway's next miss)."""
        try:
            await self.redis.set(self.key(secret_hash), entry.model_dump_json(by_alias=True), ex=TTL)
        except RedisError as error:
            logger.error("API key directory not updated", extra={"api_key_id": str(entry.id), "error": repr(error)})

    async def remove(self, *secret_hashes: str) -> None:
        if not secret_hashes:
            return
        try:
            await self.redis.delete(
                *(key for digest in secret_hashes for key in (self.key(digest), self.used_key(digest)))
            )
        except RedisError as error:
            # The entry lives on until its TTL runs out: the revoked key keeps working that long.
            logger.error("API key directory entry not removed", extra={"error": repr(error)})

    def publish_after_commit(self, session: AsyncSession, key: ApiKey) -> None:
        secret_hash, entry = key.secret_hash, api_key_entry(key)

        async def publish() -> None:
            await self.publish(secret_hash, entry)

        after_commit(session, publish)

    def remove_after_commit(self, session: AsyncSession, secret_hash: str) -> None:
        async def remove() -> None:
            await self.remove(secret_hash)

        after_commit(session, remove)

    async def last_used(self, secret_hashes: Sequence[str]) -> dict[str, datetime]:
        """When the gateway last saw each key, in one round trip; keys never seen (or Redis away) are absent."""
        if not secret_hashes:
            return {}
        try:
            values = await self.redis.mget([self.used_key(secret_hash) for secret_hash in secret_hashes])
        except RedisError as error:
            logger.warning("API key last-use times not read", extra={"error": repr(error)})
            return {}
        used = {secret_hash: _timestamp(raw) for secret_hash, raw in zip(secret_hashes, values, strict=True)}
        return {secret_hash: moment for secret_hash, moment in used.items() if moment is not None}
