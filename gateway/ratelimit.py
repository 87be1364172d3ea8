"""Fixed-window attempt counters in Redis (sign-in and password setup attempts per client IP and per email)."""

import hashlib
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from kit.errors import RateLimited

LOGIN_WINDOW_SECONDS = 15 * 60
# What each bucket counts, as the refusal names it; a bucket may carry a `:slug` suffix.
ATTEMPTS = {"login": "sign-in attempts", "store-login": "sign-in attempts", "setup-password": "password setup attempts"}


@dataclass(frozen=True)
class Limit:
    what: str  # "ip" or "email"
    subject: str
    allowed: int


class AttemptLimiter:
    def __init__(self, redis: Redis, namespace: str, window_seconds: int = LOGIN_WINDOW_SECONDS) -> None:
        self.redis = redis
        self.namespace = namespace
        self.window = window_seconds

    def _key(self, bucket: str, limit: Limit, window_index: int) -> str:
        # Emails are hashed so the key space holds no personal data.
        subject = hashlib.sha256(limit.subject.encode()).hexdigest()[:32] if limit.what == "email" else limit.subject
        return f"{self.namespace}:ratelimit:{bucket}:{limit.what}:{subject}:{window_index}"

    async def hit(self, bucket: str, limits: list[Limit]) -> None:
        """Count one attempt against every limit; raise 429 (nothing forwarded) if any is exceeded."""
        now = time.time()
        window_index = int(now // self.window)
        retry_after = max(1, int((window_index + 1) * self.window - now + 0.999))
        async with self.redis.pipeline(transaction=True) as pipe:
            for limit in limits:
                key = self._key(bucket, limit, window_index)
                pipe.incr(key)
                pipe.expire(key, self.window + 60)
            results = await pipe.execute()
        counts = results[::2]
        for limit, count in zip(limits, counts, strict=True):
            if int(count) > limit.allowed:
                attempts = ATTEMPTS.get(bucket.split(":", 1)[0], "attempts")
                raise RateLimited(
                    f"Too many {attempts} from this {'address' if limit.what == 'ip' else 'account'}; "
                    f"try again in {_minutes(retry_after)}.",
                    retry_after=retry_after,
                )

    async def forget(self, bucket: str, limit: Limit) -> None:
        """Clear a counter (a successful sign-in clears its email's failed attempts)."""
        await self.redis.delete(self._key(bucket, limit, int(time.time() // self.window)))


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
