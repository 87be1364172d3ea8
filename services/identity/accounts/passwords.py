"""Password hashing (argon2id, OWASP parameters, off the event loop) and the guard every check passes first."""

import asyncio
import functools
import uuid
from typing import Annotated

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request

from kit.ratelimit import AccountBackoff, hashed
from services.identity.accounts.repository import email_key
from services.identity.settings import IdentitySettings

# OWASP Password Storage Cheat Sheet, argon2id option 2: 19 MiB, 2 passes, 1 lane. The library's
# own default (64 MiB, 3 passes) costs several times more per login for no policy gain here.
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


async def hash_password(password: str) -> str:
    # Hashing takes tens of milliseconds of CPU: keep it off the event loop.
    return await asyncio.to_thread(HASHER.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's; re-hash at the next login."""
    return HASHER.check_needs_rehash(password_hash)


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash("distribu-dummy-password-for-unknown-emails")


async def burn_verification_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown email costs as long as a wrong password."""
    dummy = await asyncio.to_thread(_dummy_hash)
    await verify_password(dummy, password)


class PasswordGuard:
    """One backoff per account across every route that checks its password.

    It lives here, in identity, rather than in the gateway: identity makes every password check and
    knows whose password each one checks (an invite's acceptance carries no email: the invite holds
    it), so staff sign-in and invite acceptance count against one account's failures, and storefront
    sign-in and password setup against another's. The gateway keeps only per-client-IP limits.
    Unknown emails are counted alike, so a refusal says nothing about whether an account exists.
    """

    def __init__(self, backoff: AccountBackoff) -> None:
        self.backoff = backoff

    @staticmethod
    def staff_account(email: str) -> str:
        # Users are global: one staff account per email, whichever company's route checks it.
        return f"staff:{hashed(email_key(email))}"

    @staticmethod
    def storefront_account(company_id: uuid.UUID, email: str) -> str:
        # Storefront sign-in matches email and password within one company.
        return f"{PasswordGuard.storefront_accounts(company_id)}{hashed(email_key(email))}"

    @staticmethod
    def storefront_accounts(company_id: uuid.UUID) -> str:
        """What every storefront account of the company starts with (a deleted company's are forgotten)."""
        return f"storefront:{company_id}:"

    async def attempt(self, account: str, *, attempts: str = "sign-in attempts") -> None:
        """Take an attempt (counted as failed until `succeeded`), or raise 429 while the account waits."""
        await self.backoff.reserve(account, attempts=attempts)

    async def succeeded(self, account: str) -> None:
        await self.backoff.succeeded(account)


def _password_guard(request: Request) -> PasswordGuard:
    # Built once per app on first use, on the Redis client identity's directories already share.
    guard: PasswordGuard | None = getattr(request.app.state, "password_guard", None)
    if guard is None:
        settings: IdentitySettings = request.app.state.settings
        directory = request.app.state.principal_directory
        guard = PasswordGuard(AccountBackoff(directory.redis, directory.namespace, settings.login_backoff()))
        request.app.state.password_guard = guard
    return guard


Guard = Annotated[PasswordGuard, Depends(_password_guard)]
