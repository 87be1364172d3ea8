"""Webhook signing secrets sealed at rest: the database keeps each one encrypted with Fernet (AES-128-CBC with
HMAC-SHA256, from `cryptography`), so a copy of the database or of a backup signs nothing.

`WEBHOOKS_SECRET_KEYS` is a JSON list of Fernet keys (`python -m services.webhooks.sealing` prints a list of one
new key).
The first key seals; every key unseals, so a new key goes first and the old ones stay in the list while the
webhooks worker reseals every secret with the new key when it starts (`endpoints.repository.reseal_secrets`),
after which they can go.
"""

import json
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class UnsealableSecret(RuntimeError):
    """A sealed secret none of the configured keys opens: a key was removed from WEBHOOKS_SECRET_KEYS too soon."""

    def __init__(self) -> None:
        super().__init__("none of WEBHOOKS_SECRET_KEYS opens this webhook's signing secret")


def new_key() -> str:
    return Fernet.generate_key().decode()


def check_key(key: str) -> str:
    """The key if it is a Fernet key (32 bytes, URL-safe base64); ValueError otherwise."""
    try:
        Fernet(key.encode())
    except (ValueError, TypeError) as error:
        raise ValueError("a Fernet key: 32 random bytes in URL-safe base64 (44 characters)") from error
    return key


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    if not keys:
        raise ValueError("no key to seal webhook secrets with")
    fernets = [Fernet(key.encode()) for key in keys]
    return MultiFernet(fernets), fernets[0]


def seal(secret: str, keys: Sequence[str]) -> str:
    """The secret encrypted with the first key."""
    return _fernets(tuple(keys))[1].encrypt(secret.encode()).decode()


def unseal(sealed: str, keys: Sequence[str]) -> str:
    """The secret a `seal` with any of the keys made."""
    try:
        return _fernets(tuple(keys))[0].decrypt(sealed.encode()).decode()
    except InvalidToken as error:
        raise UnsealableSecret from error


def resealed(sealed: str, keys: Sequence[str]) -> str | None:
    """The secret sealed with the first key, or None when it already is."""
    every, first = _fernets(tuple(keys))
    try:
        first.decrypt(sealed.encode())
    except InvalidToken:
        try:
            return every.rotate(sealed.encode()).decode()
        except InvalidToken as error:
            raise UnsealableSecret from error
    return None


if __name__ == "__main__":
    print(json.dumps([new_key()]))
