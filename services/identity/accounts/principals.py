"""The principal directory in Redis: `{namespace}:principal:{ref}` → who a session's holder is right now
(contracts.redis.PrincipalEntry).

Sessions (the gateway's) point at a principal by reference: a membership id for staff, a customer
or contact id on storefronts. The gateway reads the session and this entry in one round trip, so
a role change applies on the holder's next request and a removal ends their session there.
Identity writes an entry after each commit that changes it and deletes it with the principal. An
entry expires after `TTL`; the gateway then asks identity (`/internal/principals/{ref}`), which
writes it again, so a lost write (Redis briefly away) is stale for at most that long. An entry carries
its principal's version, and a late write of an older one never replaces it (services/identity/entries.py).
"""

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.redis import PRINCIPAL_KEY_PREFIX, PrincipalEntry
from kit.db import after_commit
from services.identity.entries import EntryWrite, write_entries
from services.identity.models import Customer, CustomerContact, Membership

TTL = timedelta(minutes=15)

logger = logging.getLogger(__name__)


def staff_entry(membership: Membership) -> PrincipalEntry:
    return PrincipalEntry(
        ref=membership.id,
        type="user",
        id=membership.user_id,
        company_id=membership.company_id,
        role=membership.role.value,
        version=membership.version,
    )


def customer_entry(customer: Customer) -> PrincipalEntry:
    """The primary customer account acts as ADMIN of its own customer."""
    return PrincipalEntry(
        ref=customer.id,
        type="customer",
        id=customer.id,
        company_id=customer.company_id,
        role="ADMIN",
        customer_id=customer.id,
        version=customer.version,
    )


def contact_entry(contact: CustomerContact) -> PrincipalEntry:
    return PrincipalEntry(
        ref=contact.id,
        type="contact",
        id=contact.id,
        company_id=contact.company_id,
        role=contact.role.value,
        customer_id=contact.customer_id,
        version=contact.version,
    )


class PrincipalDirectory:
    def __init__(self, redis: "Redis", namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace

    def key(self, ref: uuid.UUID) -> str:
        return f"{self.namespace}:{PRINCIPAL_KEY_PREFIX}:{ref}"

    async def publish(self, *entries: PrincipalEntry) -> None:
        """Write entries now, each unless a newer one is there; a Redis outage is logged (the entry heals on
        the gateway's next miss)."""
        writes = [
            EntryWrite(self.key(entry.ref), entry.model_dump_json(by_alias=True), _older_than(entry), ttl=TTL)
            for entry in entries
        ]
        try:
            await write_entries(self.redis, writes)
        except RedisError as error:
            logger.error("principal directory not updated", extra={"error": repr(error)})

    async def remove(self, *refs: uuid.UUID) -> None:
        if not refs:
            return
        try:
            await self.redis.delete(*(self.key(ref) for ref in refs))
        except RedisError as error:
            # The entry lives on until its TTL runs out: the removed principal keeps access that long.
            logger.error(
                "principal directory entry not removed", extra={"refs": [str(r) for r in refs], "error": repr(error)}
            )

    def publish_after_commit(self, session: AsyncSession, *entries: PrincipalEntry) -> None:
        async def publish() -> None:
            await self.publish(*entries)

        after_commit(session, publish)

    def remove_after_commit(self, session: AsyncSession, *refs: uuid.UUID) -> None:
        async def remove() -> None:
            await self.remove(*refs)

        after_commit(session, remove)


def _older_than(entry: PrincipalEntry) -> Callable[[bytes | str | None], bool]:
    def replaces(current: bytes | str | None) -> bool:
        if current is None or entry.version is None:
            return True
        try:
            stored = PrincipalEntry.model_validate_json(current)
        except ValidationError:
            return True
        return stored.version is None or stored.version <= entry.version

    return replaces
