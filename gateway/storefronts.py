"""Storefront slug → company: the directory identity keeps in Redis (contracts.redis.StorefrontEntry),
identity itself on a miss."""

import logging
import re
from urllib.parse import quote

from pydantic import ValidationError
from redis.asyncio import Redis

from contracts.redis import STOREFRONT_KEY_PREFIX, StorefrontEntry
from gateway.upstreams import Upstreams
from kit.errors import NotFound, ServiceUnavailable

logger = logging.getLogger(__name__)

# Identity's slug rule (services/identity/companies/service.py: lowercase words joined by single hyphens,
# 3-50 characters); anything else is refused here without a lookup.
_CANONICAL_SLUG = re.compile(r"(?=.{3,50}\Z)[a-z0-9]+(?:-[a-z0-9]+)*")


class StorefrontDirectory:
    def __init__(self, redis: Redis, namespace: str, upstreams: Upstreams) -> None:
        self.redis = redis
        self.namespace = namespace
        self.upstreams = upstreams

    def key(self, slug: str) -> str:
        return f"{self.namespace}:{STOREFRONT_KEY_PREFIX}:{slug}"

    async def resolve(self, slug: str, request_id: str, *, entry: str | bytes | None = None) -> StorefrontEntry:
        """The storefront at `slug`, or 404. Identity writes the key; we only read it, or take the `entry`
        the caller already read (in the same round trip as the storefront session).

        Only the canonical spelling is a storefront: `/store/ACME` or `/store/%20acme` is not `/store/acme`,
        so nothing keyed on the slug (rate limits, cookies' paths) can be multiplied by respelling it.
        """
        if not _CANONICAL_SLUG.fullmatch(slug):
            raise NotFound(f"There is no storefront at /store/{slug}.")
        raw = entry if entry is not None else await self.redis.get(self.key(slug))
        if raw is not None:
            try:
                return self._exactly(slug, StorefrontEntry.model_validate_json(raw))
            except ValidationError:
                logger.warning("unreadable storefront directory entry", extra={"slug": slug})
        # A miss: the directory may not have been written yet (or Redis was flushed); identity knows.
        response = await self.upstreams.call_internal(
            "identity", "GET", f"/internal/storefronts/{quote(slug)}", request_id
        )
        if response.status_code == 404:
            raise NotFound(f"There is no storefront at /store/{slug}.")
        if response.status_code != 200:
            raise ServiceUnavailable("The storefront directory could not be read; try again shortly.")
        try:
            storefront = StorefrontEntry.model_validate_json(response.content)
        except ValidationError as error:
            raise ServiceUnavailable("The storefront directory answered unexpectedly.") from error
        return self._exactly(slug, storefront)

    @staticmethod
    def _exactly(slug: str, storefront: StorefrontEntry) -> StorefrontEntry:
        if storefront.slug != slug:
            raise NotFound(f"There is no storefront at /store/{slug}.")
        return storefront
