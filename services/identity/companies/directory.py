"""The storefront directory in Redis: `{namespace}:storefront:{slug}` → the company behind a storefront.

The gateway reads it on every storefront request; identity writes it after each commit that changes
a company's name or slug, and re-writes it whenever the gateway reports a miss.
"""

import json
import logging
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import after_commit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StorefrontEntry:
    company_id: uuid.UUID
    name: str
    slug: str

    def to_json(self) -> str:
        return json.dumps({"companyId": str(self.company_id), "name": self.name, "slug": self.slug})


class StorefrontDirectory:
    def __init__(self, redis: "Redis", namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace

    def key(self, slug: str) -> str:
        return f"{self.namespace}:storefront:{slug}"

    async def publish(self, entry: StorefrontEntry, *, previous_slug: str | None = None) -> None:
        """Point the entry's slug at its company; drop the previous slug so it stops resolving at once."""
        async with self.redis.pipeline(transaction=True) as pipeline:
            if previous_slug is not None and previous_slug != entry.slug:
                pipeline.delete(self.key(previous_slug))
            pipeline.set(self.key(entry.slug), entry.to_json())
            await pipeline.execute()

    async def try_publish(self, entry: StorefrontEntry, *, previous_slug: str | None = None) -> None:
        """`publish`, but a Redis outage is logged, not raised: the database change has already committed.

        A missing key heals itself (the gateway asks identity on a miss); a stale previous slug keeps
        resolving until the key is removed, hence the error-level log.
        """
        try:
            await self.publish(entry, previous_slug=previous_slug)
        except RedisError as error:
            logger.error(
                "storefront directory not updated",
                extra={"slug": entry.slug, "previous_slug": previous_slug, "error": repr(error)},
            )

    def publish_after_commit(
        self, session: AsyncSession, entry: StorefrontEntry, *, previous_slug: str | None = None
    ) -> None:
        async def publish() -> None:
            await self.try_publish(entry, previous_slug=previous_slug)

        after_commit(session, publish)
