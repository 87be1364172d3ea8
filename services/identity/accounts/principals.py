"""The principal directory in Redis: `{namespace}:principal:{ref}` → who a session's holder is right now.

Sessions (the gateway's) point at a principal by reference: a membership id for staff, a customer
or contact id on storefronts. The gateway reads the session and this entry in one round trip, so
a role change applies on the holder's next request and a removal ends their session there.
Identity writes an entry after each commit that changes it and deletes it with the principal. An
entry expires after `TTL`; the gateway then asks identity (`/internal/principals/{ref}`), which
writes it again, so a lost write (Redis briefly away) is stale for at most that long.
"""

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import after_commit
from services.identity.models import Customer, CustomerContact, Membership

TTL = timedelta(minutes=15)

PrincipalKind = Literal["user", "customer", "contact"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrincipalEntry:
    # What a session points at: the membership, customer or contact id.
    ref: uuid.UUID
    type: PrincipalKind
    # Who acts in contexts and the audit log: the user, customer or contact.
    id: uuid.UUID
    company_id: uuid.UUID
    role: str
    customer_id: uuid.UUID | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "ref": str(self.ref),
                "type": self.type,
                "id": str(self.id),
                "companyId": str(self.company_id),
                "role": self.role,
                "customerId": str(self.customer_id) if self.customer_id else None,
            }
        )


def staff_entry(membership: Membership) -> PrincipalEntry:
    return PrincipalEntry(
        ref=membership.id,
        type="user",
        id=membership.user_id,
        company_id=membership.company_id,
        role=membership.role.value,
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
    )


def contact_entry(contact: CustomerContact) -> PrincipalEntry:
    return PrincipalEntry(
        ref=contact.id,
        type="contact",
        id=contact.id,
        company_id=contact.company_id,
        role=contact.role.value,
        customer_id=contact.customer_id,
    )


class PrincipalDirectory:
    def __init__(self, redis: "Redis", namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace

    def key(self, ref: uuid.UUID) -> str:
        return f"{self.namespace}:principal:{ref}"

    async def publish(self, *entries: PrincipalEntry) -> None:
        """Write entries now; a Redis outage is logged (the entry heals on the gateway's next miss)."""
        if not entries:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipeline:
                for entry in entries:
                    pipeline.set(self.key(entry.ref), entry.to_json(), ex=TTL)
                await pipeline.execute()
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
