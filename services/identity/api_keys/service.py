"""API key rules: who may manage keys, issuing a secret once, listing with last use, revoking at once."""

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import ApiKeyCreated, ApiKeyRevoked, StaffRole
from kit.context import RequestContext
from kit.db import new_id, utcnow
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import StaffAccess, staff_access
from services.identity.api_keys.directory import ApiKeyDirectory, api_key_entry
from services.identity.api_keys.events import api_key_entity
from services.identity.api_keys.repository import ApiKeyRepository, ApiKeySecretRepository, hash_secret
from services.identity.api_keys.schemas import ApiKeyCreate
from services.identity.models import ApiKey, User
from services.identity.team.repository import users_by_id

# Marks a Distribu key, so people and secret scanners recognise one.
KEY_TAG = "dk_"
# The tag and 8 characters of the random part: enough to tell keys apart, far too little to guess the rest.
PREFIX_LENGTH = 11


@dataclass(frozen=True)
class CreatedApiKey:
    key: ApiKey
    # Returned once; only its hash is stored.
    secret: str


@dataclass(frozen=True)
class ListedApiKey:
    key: ApiKey
    created_by: User | None


async def _key_manager(session: AsyncSession, context: RequestContext, *, action: str) -> StaffAccess:
    """The calling owner or admin (staff only: an API key never manages keys)."""
    access = await staff_access(session, context)
    access.require_role(StaffRole.OWNER, StaffRole.ADMIN, action=action)
    return access


async def create_api_key(
    session: AsyncSession, directory: ApiKeyDirectory, request: ApiKeyCreate, *, context: RequestContext
) -> CreatedApiKey:
    """Issue a key; it works as soon as the transaction commits and the directory has it."""
    access = await _key_manager(session, context, action="create API keys")
    company_id = access.membership.company_id
    secret = KEY_TAG + secrets.token_urlsafe(32)
    key = ApiKeyRepository(session, company_id).add(
        ApiKey(
            id=new_id(),
            company_id=company_id,
            name=request.name,
            prefix=secret[:PREFIX_LENGTH],
            secret_hash=hash_secret(secret),
            scopes=list(request.scopes),
            created_by_user_id=access.membership.user_id,
            version=1,
        )
    )
    await session.flush()
    await emit(
        session,
        ApiKeyCreated(id=key.id, name=key.name, prefix=key.prefix, scopes=key.scopes),
        company_id=company_id,
        entity=api_key_entity(key),
        context=context,
    )
    directory.publish_after_commit(session, key)
    return CreatedApiKey(key=key, secret=secret)


async def list_api_keys(
    session: AsyncSession, directory: ApiKeyDirectory, context: RequestContext, *, limit: int, cursor: str | None
) -> tuple[list[ListedApiKey], str | None]:
    """Active keys, newest first, with their last use: the later of the gateway's record and ours.

    A newer use the gateway recorded is kept on the row, so it survives Redis losing it.
    """
    access = await _key_manager(session, context, action="see API keys")
    keys, next_cursor = await ApiKeyRepository(session, access.membership.company_id).page_active(
        limit=limit, cursor=cursor
    )
    last_used = await directory.last_used([key.secret_hash for key in keys])
    for key in keys:
        seen = last_used.get(key.secret_hash)
        if seen is not None and (key.last_used_at is None or seen > key.last_used_at):
            key.last_used_at = seen
    await session.flush()
    creators = await users_by_id(session, [key.created_by_user_id for key in keys if key.created_by_user_id])
    listed = [
        ListedApiKey(key, creators.get(key.created_by_user_id) if key.created_by_user_id else None) for key in keys
    ]
    return listed, next_cursor


async def revoke_api_key(
    session: AsyncSession, directory: ApiKeyDirectory, api_key_id: uuid.UUID, *, context: RequestContext
) -> None:
    """Revoke a key: its next call is refused. Revoked keys are not found."""
    access = await _key_manager(session, context, action="revoke API keys")
    key = found(await ApiKeyRepository(session, access.membership.company_id).lock_active(api_key_id), "API key")
    key.revoked_at = utcnow()
    key.version += 1
    await session.flush()
    await emit(
        session,
        ApiKeyRevoked(id=key.id, name=key.name, prefix=key.prefix),
        company_id=key.company_id,
        entity=api_key_entity(key),
        context=context,
    )
    directory.remove_after_commit(session, key.secret_hash)


async def resolve_api_key(session: AsyncSession, directory: ApiKeyDirectory, secret_hash: str) -> ApiKey:
    """The active key behind a secret's hash, for the gateway after a directory miss; heals the entry."""
    key = found(await ApiKeySecretRepository(session).get_active(secret_hash), "API key")
    await directory.publish(secret_hash, api_key_entry(key))
    return key
