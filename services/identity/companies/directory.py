"""The storefront directory in Redis: `{namespace}:storefront:{slug}` → the company behind a storefront
(contracts.redis.StorefrontEntry).

The gateway reads it on every storefront request; identity writes it after each commit that changes
a company's name or slug, re-writes it whenever the gateway reports a miss, and deletes it after the
commit that deletes the company.
"""

import logging
import uuid
from collections.abc import Callable

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.redis import STOREFRONT_KEY_PREFIX, StorefrontEntry
from kit.db import after_commit
from services.identity.entries import EntryWrite, write_entries

logger = logging.getLogger(__name__)


class StorefrontDirectory:
    def __init__(self, redis: "Redis", namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace

    def key(self, slug: str) -> str:
        return f"{self.namespace}:{STOREFRONT_KEY_PREFIX}:{slug}"

    async def publish(self, entry: StorefrontEntry, *, previous_slug: str | None = None) -> None:
        """Point the entry's slug at its company; drop the previous slug so it stops resolving at once.

        Each only over an older entry of the same company: a late write never undoes a newer change, nor
        touches a slug another company has taken since.
        """
        writes = [EntryWrite(self.key(entry.slug), entry.model_dump_json(by_alias=True), _older_than(entry))]
        if previous_slug is not None and previous_slug != entry.slug:
            writes.append(EntryWrite(self.key(previous_slug), None, _older_than(entry, same_company_only=True)))
        await write_entries(self.redis, writes)

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

    async def remove(self, slug: str, company_id: uuid.UUID) -> None:
        """Stop resolving `slug` for its deleted company (not for one that took the slug since); an outage is
        logged: the slug resolves until removed."""

        def of_the_company(current: bytes | str | None) -> bool:
            return current is not None and _company_of(current) in (company_id, None)

        try:
            await write_entries(self.redis, [EntryWrite(self.key(slug), None, of_the_company)])
        except RedisError as error:
            logger.error("storefront directory entry not removed", extra={"slug": slug, "error": repr(error)})


def _company_of(raw: bytes | str) -> uuid.UUID | None:
    try:
        return StorefrontEntry.model_validate_json(raw).company_id
    except ValidationError:
        return None


def _older_than(entry: StorefrontEntry, *, same_company_only: bool = False) -> Callable[[bytes | str | None], bool]:
    """Whether a write of `entry` applies over the key's current value."""

    def replaces(current: bytes | str | None) -> bool:
        if current is None:
            return not same_company_only
        try:
            stored = StorefrontEntry.model_validate_json(current)
        except ValidationError:
            return True
        if stored.company_id != entry.company_id:
            # Another company's entry: the slug is ours now (the database says so), but a stale previous
            # slug of ours that another company took since is theirs.
            return not same_company_only
        return stored.version is None or entry.version is None or stored.version <= entry.version

    return replaces
