"""Writes of the Redis entries identity keeps for the gateway, each only over an entry of an older version.

Entries are written after the commit that changes what they say, by whichever process made it, so the
writes of two commits in a row can land in the other order. An entry carries the version of the entity
it describes; a write replaces only an entry that is absent, unreadable, unversioned or of the same or
an older version, in one WATCH/MULTI transaction (Redis and embedded mode's stand-in alike).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline


@dataclass(frozen=True)
class EntryWrite:
    key: str
    # The entry's JSON; None deletes the key.
    value: str | None
    # Whether the write applies over what the key holds now (None: nothing).
    replaces: Callable[[bytes | str | None], bool]
    ttl: timedelta | None = None


async def write_entries(redis: "Redis", writes: Sequence[EntryWrite]) -> None:
    """Apply each write whose `replaces` accepts the key's current value, all at once; raises RedisError."""
    if not writes:
        return
    keys = [write.key for write in writes]

    async def apply(pipeline: Pipeline) -> None:
        current = await pipeline.mget(keys)
        pipeline.multi()  # type: ignore[no-untyped-call]
        for write, value in zip(writes, current, strict=True):
            if not write.replaces(value):
                continue
            if write.value is None:
                pipeline.delete(write.key)
            else:
                pipeline.set(write.key, write.value, ex=write.ttl)

    await redis.transaction(apply, *keys)
