"""Storefront slug → company: the directory identity keeps in Redis, identity itself on a miss."""

import json
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from redis.asyncio import Redis

from gateway.upstreams import Upstreams
from kit.errors import NotFound, ServiceUnavailable

logger = logging.getLogger(__name__)

# Identity's slug rule (services/identity/companies/service.py: lowercase words joined by single hyphens,
# 3-50 characters); anything else is refused here without a lookup.
_CANONICAL_SLUG = re.compile(r"(?=.{3,50}\Z)[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Storefront:
    company_id: uuid.UUID
    name: str
    slug: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Storefront":
        return cls(company_id=uuid.UUID(str(data["companyId"])), name=str(data["name"]), slug=str(data["slug"]))


class StorefrontDirectory:
    def __init__(self, redis: Redis, namespace: str, upstreams: Upstreams) -> None:
        self.redis = redis
        self.namespace = namespace
        self.upstreams = upstreams

    def key(self, slug: str) -> str:
        return f"{self.namespace}:storefront:{slug}"

    async def resolve(self, slug: str, request_id: str, *, entry: str | bytes | None = None) -> Storefront:
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
                return self._exactly(slug, Storefront.from_json(json.loads(raw)))
            except (ValueError, KeyError, TypeError):
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
            storefront = Storefront.from_json(response.json())
        except (ValueError, KeyError, TypeError) as error:
            raise ServiceUnavailable("The storefront directory answered unexpectedly.") from error
        return self._exactly(slug, storefront)

    @staticmethod
    def _exactly(slug: str, storefront: Storefront) -> Storefront:
        if storefront.slug != slug:
            raise NotFound(f"There is no storefront at /store/{slug}.")
        return storefront
