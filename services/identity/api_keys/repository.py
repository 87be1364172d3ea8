"""Queries on API keys, scoped by company, and the gateway's lookup of a key by its secret's hash."""

import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import keyset_page
from kit.repository import TenantRepository
from services.identity.models import ApiKey


def hash_secret(secret: str) -> str:
    """SHA-256 (hex) of a key's whole secret: what is stored and looked up, never the secret itself.

    A fast hash is enough: the secret is 256 random bits, nothing a dictionary could guess.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey

    async def lock_active(self, api_key_id: uuid.UUID) -> ApiKey | None:
        key: ApiKey | None = await self.session.scalar(
            self.statement()
            .where(ApiKey.id == api_key_id, ApiKey.revoked_at.is_(None))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return key

    async def page_active(self, *, limit: int, cursor: str | None) -> tuple[list[ApiKey], str | None]:
        """Keys not revoked, newest first."""
        return await keyset_page(
            self.session,
            self.statement().where(ApiKey.revoked_at.is_(None)),
            sort_column=ApiKey.created_at,
            id_column=ApiKey.id,
            limit=limit,
            cursor=cursor,
        )


class ApiKeySecretRepository:
    """Active keys found by their secret's hash, across companies.

    The one API key query not scoped by a company: the gateway learns the company from the key, and
    the hash of a 256-bit secret (unique) is what scopes it.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_active(self, secret_hash: str) -> ApiKey | None:
        """Share-locked until commit: a revocation or company deletion racing the lookup waits for it, then
        removes the directory entry the lookup wrote."""
        key: ApiKey | None = await self.session.scalar(
            select(ApiKey)
            .where(ApiKey.secret_hash == secret_hash, ApiKey.revoked_at.is_(None))
            .with_for_update(read=True)
        )
        return key
