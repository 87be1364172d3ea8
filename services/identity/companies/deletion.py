"""Deleting a company: what goes at once, what stops answering at once, and what is purged after.

In the deletion's one transaction (the company row locked first, so edits, sign-ins and lookups of the
company queue behind it):
- the company row goes, so its slug is free for a new signup as soon as this commits; with it (foreign
  keys, ON DELETE CASCADE) go the handful of rows each company has of: its subscription, limit and usage
  counters, invites and API keys;
- its memberships go, and so do the users left with no membership. Users are global accounts: someone
  who is also staff of another company keeps their account, password and that membership; someone who
  belonged to this company only is removed, and their email is free to sign up again;
- a tombstone is kept (the company's id, when, and which user deleted it; nothing else);
- `CompanyDeleted` is written to the outbox (the company's version + 1).

Right after the commit, before the answer leaves, the Redis entries the gateway trusts are removed: the
principal entries of its staff, customers and contacts, its API keys' entries and last-use records, its
storefront entry, the sessions that point at any of those principals and the storefront sign-in backoff
of the company. The gateway then falls back to identity's lookups, which deny: no membership, no
company behind a customer or contact still waiting to be purged, no API key, no storefront. A lookup
that raced the deletion holds a share lock on what it read, so the deletion waits for it and removes
what it wrote.

Later, the worker: identity consumes its own `CompanyDeleted` like every service (`kit.purge`) and
purges, in short batches, the rows a company can have without bound and which have no foreign key to
`companies` for that reason: addresses, contacts, customers; then whatever of the other tables remains
(nothing, normally) and the kit's processed-event and outbox rows of the company.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import CompanyDeleted, StaffRole
from contracts.redis import RATE_LIMIT_KEY_PREFIX, SESSION_KEY_PREFIX
from kit.context import RequestContext
from kit.db import after_commit, utcnow
from kit.errors import ProblemError
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import staff_access
from services.identity.accounts.passwords import PasswordGuard
from services.identity.accounts.principals import PrincipalDirectory
from services.identity.api_keys.directory import ApiKeyDirectory
from services.identity.companies.directory import StorefrontDirectory
from services.identity.companies.events import company_entity
from services.identity.companies.repository import CompanyDeletionRepository, CompanyRepository
from services.identity.companies.schemas import CompanyDeletion
from services.identity.models import CompanyTombstone

logger = logging.getLogger(__name__)

SLUG_NOT_CONFIRMED = "Type the company's storefront address exactly to confirm its deletion."
# Keys per Redis command when removing many (a company's customers and contacts).
_KEYS_PER_COMMAND = 1000


class SlugNotConfirmed(ProblemError):
    """The confirmation does not name the company: nothing is deleted. A 422, like any refused field."""

    status = 422
    title = "Invalid request"
    slug = "validation-failed"


@dataclass(frozen=True)
class CompanyKeys:
    """The Redis directories holding a company's entries (all on identity's one Redis client)."""

    storefronts: StorefrontDirectory
    principals: PrincipalDirectory
    api_keys: ApiKeyDirectory


@dataclass(frozen=True)
class DeletedCompanyKeys:
    """What to remove from Redis once the deletion has committed."""

    company_id: uuid.UUID
    slug: str
    principal_refs: Sequence[uuid.UUID]
    api_key_hashes: Sequence[str]


async def delete_company(
    session: AsyncSession, keys: CompanyKeys, request: CompanyDeletion, *, context: RequestContext
) -> CompanyTombstone:
    """Delete the caller's company (owner only, its slug typed as confirmation); see the module's docstring."""
    access = await staff_access(session, context)
    access.require_role(StaffRole.OWNER, action="delete the company")
    company = found(await CompanyRepository(session).lock(access.membership.company_id), "Company")
    if request.confirm_slug != company.slug:
        raise SlugNotConfirmed(SLUG_NOT_CONFIRMED, errors=[{"field": "confirmSlug", "message": SLUG_NOT_CONFIRMED}])

    repository = CompanyDeletionRepository(session, company.id)
    memberships = await repository.remove_memberships()
    await repository.remove_users_without_membership([user_id for _, user_id in memberships])
    removed = DeletedCompanyKeys(
        company_id=company.id,
        slug=company.slug,
        principal_refs=[membership_id for membership_id, _ in memberships] + await repository.storefront_account_ids(),
        api_key_hashes=await repository.api_key_hashes(),
    )
    tombstone = CompanyTombstone(id=company.id, deleted_at=utcnow(), deleted_by=access.membership.user_id)
    # The deletion is the company's last version.
    company.version += 1
    await repository.replace_with_tombstone(company, tombstone)
    await emit(
        session,
        CompanyDeleted(
            id=company.id,
            name=company.name,
            slug=company.slug,
            deleted_at=tombstone.deleted_at,
            deleted_by=tombstone.deleted_by,
        ),
        company_id=company.id,
        entity=company_entity(company),
        context=context,
    )

    async def forget() -> None:
        await forget_company_keys(keys, removed)

    after_commit(session, forget)
    logger.info("company deleted", extra={"company_id": str(company.id)})
    return tombstone


async def forget_company_keys(keys: CompanyKeys, removed: DeletedCompanyKeys) -> None:
    """Remove a deleted company's Redis entries. An outage is logged: entries with a TTL then lapse by
    themselves, and the gateway's fallback lookups deny the company meanwhile."""
    await keys.storefronts.remove(removed.slug, removed.company_id)
    await keys.api_keys.remove(*removed.api_key_hashes)
    refs = list(removed.principal_refs)
    for start in range(0, len(refs), _KEYS_PER_COMMAND):
        await keys.principals.remove(*refs[start : start + _KEYS_PER_COMMAND])
    redis, namespace = keys.principals.redis, keys.principals.namespace
    ref_prefixes = {ref.hex for ref in refs}
    try:
        # Sessions are keyed by token, `{ref hex}.{random}`: found by one pass over the sessions.
        sessions = [
            key
            async for key in redis.scan_iter(match=f"{namespace}:{SESSION_KEY_PREFIX}:*", count=1000)
            if _session_ref(key) in ref_prefixes
        ]
        backoff = [
            key
            async for key in redis.scan_iter(
                match=f"{namespace}:backoff:{PasswordGuard.storefront_accounts(removed.company_id)}*", count=1000
            )
        ]
        # The gateway's per-storefront rate-limit windows name the company (`ratelimit:store-login:{id}:…`).
        windows = [
            key
            async for key in redis.scan_iter(
                match=f"{namespace}:{RATE_LIMIT_KEY_PREFIX}:*:{removed.company_id}:*", count=1000
            )
        ]
        doomed = sessions + backoff + windows
        for start in range(0, len(doomed), _KEYS_PER_COMMAND):
            await redis.delete(*doomed[start : start + _KEYS_PER_COMMAND])
    except RedisError as error:
        logger.error(
            "a deleted company's sessions were not removed; they end at their idle timeout",
            extra={"company_id": str(removed.company_id), "error": repr(error)},
        )


def _session_ref(key: bytes | str) -> str:
    token = (key.decode() if isinstance(key, bytes) else key).rpartition(":")[2]
    return token.partition(".")[0]
