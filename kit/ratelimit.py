"""Attempt limits in Redis: per-subject allowances in fixed windows, and per-account backoff after failures."""

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from redis.asyncio import Redis

from kit.errors import RateLimited

# Which answers keep an attempt's reservation: only failures (sign-in: a shared office's successful
# sign-ins must not use up its allowance), only successes (companies created), or every answer.
Keeps = Literal["failures", "successes", "all"]


def hashed(subject: str) -> str:
    """A subject as it appears in a key: emails are hashed so the key space holds no personal data."""
    return hashlib.sha256(subject.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Allowance:
    """`allowed` attempts per fixed window of `window_seconds` for one subject, named by `key`."""

    key: str
    allowed: int
    window_seconds: int
    # The refusal's first words, e.g. "Too many sign-in attempts from this address".
    refusal: str
    keeps: Keeps = "failures"


@dataclass(frozen=True)
class Reservation:
    """The counters one attempt was counted in, until its answer says which to give back."""

    counted: tuple[tuple[Allowance, str], ...]


class WindowLimiter:
    """Reserve before the attempt, settle after its answer: a refused attempt counts nowhere, and
    concurrent attempts are bounded because each takes its place before anything is checked."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace

    def _key(self, allowance: Allowance, now: float) -> str:
        return f"{self.namespace}:ratelimit:{allowance.key}:{int(now // allowance.window_seconds)}"

    async def reserve(self, allowances: Sequence[Allowance]) -> Reservation:
        """Count one attempt in every allowance, or in none and raise 429 if any is used up."""
        now = time.time()
        counted = tuple((allowance, self._key(allowance, now)) for allowance in allowances)
        async with self.redis.pipeline(transaction=True) as pipe:
            for allowance, key in counted:
                pipe.incr(key)
                pipe.expire(key, allowance.window_seconds + 60)
            results = await pipe.execute()
        counts = [int(count) for count in results[::2]]
        exceeded = [allowance for (allowance, _), n in zip(counted, counts, strict=True) if n > allowance.allowed]
        if exceeded:
            # Taken back at once: attempts refused here must not push the counters further.
            await self._give_back([key for _, key in counted], [allowance for allowance, _ in counted])
            first = exceeded[0]
            window_end = (int(now // first.window_seconds) + 1) * first.window_seconds
            retry_after = max(1, math.ceil(window_end - now))
            raise RateLimited(f"{first.refusal}; try again in {describe_wait(retry_after)}.", retry_after=retry_after)
        return Reservation(counted)

    async def settle(self, reservation: Reservation, *, succeeded: bool, evaluated: bool = True) -> None:
        """Give back what this answer does not keep; `evaluated=False`: nothing was checked (refused
        further on, or the service never answered), so the attempt counts nowhere."""
        returned = [
            (allowance, key)
            for allowance, key in reservation.counted
            if not evaluated
            or (allowance.keeps == "failures" and succeeded)
            or (allowance.keeps == "successes" and not succeeded)
        ]
        if returned:
            await self._give_back([key for _, key in returned], [allowance for allowance, _ in returned])

    async def _give_back(self, keys: Sequence[str], allowances: Sequence[Allowance]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key, allowance in zip(keys, allowances, strict=True):
                pipe.decr(key)
                # A key that expired meanwhile comes back at -1: it must not outlive its window either.
                pipe.expire(key, allowance.window_seconds + 60)
            await pipe.execute()


@dataclass(frozen=True)
class BackoffPolicy:
    """`free_failures` failures in a row cost nothing; each one after that makes the next attempt wait
    `base_seconds`, doubling (1 s, 2 s, 4 s…) up to `max_seconds`. Failures are forgotten after
    `memory_seconds` without one, or at once by a success."""

    free_failures: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 15 * 60
    memory_seconds: int = 24 * 60 * 60

    def wait_after(self, failures: int) -> float:
        """Seconds before the next attempt once `failures` (≥ `free_failures`) have failed."""
        exponent = min(max(0, failures - self.free_failures), 62)
        return float(min(self.max_seconds, self.base_seconds * 2**exponent))


class AccountBackoff:
    """Failed password checks per account, and the wait they impose on its next attempt.

    Each attempt is reserved as a failure before the password is checked (so concurrent guesses are
    bounded: once the free failures are taken, only the attempt that sets the wait goes ahead) and
    given back by a success. A refused attempt changes nothing.
    """

    def __init__(self, redis: Redis, namespace: str, policy: BackoffPolicy) -> None:
        self.redis = redis
        self.namespace = namespace
        self.policy = policy

    def _keys(self, account: str) -> tuple[str, str]:
        base = f"{self.namespace}:backoff:{account}"
        # `failures` counts them; `wait` exists, with its expiry, while the next attempt must wait.
        return f"{base}:failures", f"{base}:wait"

    async def reserve(self, account: str, *, attempts: str) -> None:
        """Take one attempt for `account`, or raise 429 while it must wait (`attempts` names them)."""
        failures_key, wait_key = self._keys(account)
        waiting_ms = int(await self.redis.pttl(wait_key))
        if waiting_ms > 0:
            raise self._refused(attempts, waiting_ms)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(failures_key)
            pipe.expire(failures_key, self.policy.memory_seconds)
            failures = int((await pipe.execute())[0])
        if failures < self.policy.free_failures:
            return
        wait_ms = max(1, math.ceil(self.policy.wait_after(failures) * 1000))
        if await self.redis.set(wait_key, "1", nx=True, px=wait_ms):
            return
        # A concurrent attempt set the wait first: this one is refused and counts nowhere.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.decr(failures_key)
            pipe.expire(failures_key, self.policy.memory_seconds)
            pipe.pttl(wait_key)
            waiting_ms = int((await pipe.execute())[2])
        raise self._refused(attempts, max(waiting_ms, 1))

    async def succeeded(self, account: str) -> None:
        """The right password: its earlier failures and any wait are forgotten."""
        await self.redis.delete(*self._keys(account))

    @staticmethod
    def _refused(attempts: str, waiting_ms: int) -> RateLimited:
        retry_after = max(1, math.ceil(waiting_ms / 1000))
        return RateLimited(
            f"Too many {attempts} for this account; try again in {describe_wait(retry_after)}.",
            retry_after=retry_after,
        )


def describe_wait(seconds: int) -> str:
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
