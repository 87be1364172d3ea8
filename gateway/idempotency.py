"""`Idempotency-Key` on the API's POSTs: the first answer is kept, and the same request again gets it back.

Per (company, principal, key), a Redis record: `running` (with the request's fingerprint) while the
first call is with the service, then the answer the client got (status, the headers that matter, body),
kept for 24 hours. The same key again, with the same method, path, query and body, replays that
answer with `Idempotent-Replayed: true`; with anything else it is 422; while the first is still running,
409. Only callers with a company and a principal (staff sessions, API keys, storefront sessions) are
keyed: an anonymous call (signing up or in) has nobody to keep its answers for, nor has a call that signs in;
both are forwarded as is.
Server errors (5xx, an unreachable service), 429s and answers over `MAX_STORED_BODY_BYTES` are not kept: the
record is removed, so the same key can be tried again. A malformed key is 400 on any POST the gateway forwards.
"""

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from redis.asyncio import Redis

from kit.context import Principal
from kit.errors import Conflict, InvalidInput, ProblemError

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PREFIX = "idem"
# How long an answer is replayed.
ANSWER_TTL = timedelta(hours=24)
# A running record outlives the gateway's wait for the service, so it never expires under a live call;
# a gateway that dies mid-call leaves it to expire.
MIN_RUNNING_TTL = timedelta(minutes=5)
# Bigger answers are not kept (the key is released). Creating answers are small JSON.
MAX_STORED_BODY_BYTES = 1024 * 1024
# What a replay carries besides the status and body.
KEPT_HEADERS = ("content-type", "location", "content-disposition")
# How often a page's repeated post looks whether the first one has been answered.
WAIT_INTERVAL = 0.05
# 1 to 255 printable ASCII characters (a space included, though never at either end: HTTP trims those).
_VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")


class IdempotencyKeyReused(ProblemError):
    """The key came with a different request than the one it was first used for."""

    status = 422
    title = "Idempotency key reused"
    slug = "idempotency-key-reused"


def requested_key(request: Request) -> str | None:
    """The request's `Idempotency-Key`, checked; None without one. 400 for a malformed one."""
    values = request.headers.getlist(IDEMPOTENCY_HEADER)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidInput(f"Send one {IDEMPOTENCY_HEADER} header, not {len(values)}.")
    key = values[0]
    if not _VALID_KEY.fullmatch(key):
        raise InvalidInput(f"{IDEMPOTENCY_HEADER} must be 1 to 255 printable ASCII characters.")
    return key


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests the same request: the key may only be reused with all of it equal."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(body)
    return digest.hexdigest()


@dataclass(frozen=True)
class Claim:
    """A first call's hold on its key: `complete` it with the answer, or `release` it."""

    record_key: str
    fingerprint: str


@dataclass(frozen=True)
class Replay:
    response: Response


class IdempotencyStore:
    def __init__(self, redis: Redis, namespace: str, *, upstream_timeout_seconds: float) -> None:
        self.redis = redis
        self.namespace = namespace
        self.running_ttl = max(MIN_RUNNING_TTL, timedelta(seconds=2 * upstream_timeout_seconds + 30))

    def record_key(self, company_id: str, principal: Principal, key: str) -> str:
        hashed = hashlib.sha256(key.encode()).hexdigest()
        return f"{self.namespace}:{KEY_PREFIX}:{company_id}:{principal.type}:{principal.id}:{hashed}"

    async def begin(self, record_key: str, request_fingerprint: str) -> Claim | Replay:
        """Claim the key for this request, or the kept answer to replay; 409 while another call holds it,
        422 when the key was used for a different request."""
        running = json.dumps({"state": "running", "fingerprint": request_fingerprint})
        # A record can vanish between the SET and the GET (released, or expired): then claim again.
        for _ in range(3):
            if await self.redis.set(record_key, running, nx=True, ex=self.running_ttl):
                return Claim(record_key, request_fingerprint)
            raw = await self.redis.get(record_key)
            if raw is None:
                continue
            record: dict[str, Any] = json.loads(raw)
            if record.get("fingerprint") != request_fingerprint:
                raise IdempotencyKeyReused(
                    f"This {IDEMPOTENCY_HEADER} was already used for a different request; "
                    "use a new key for a new request."
                )
            if record.get("state") != "done":
                raise Conflict(
                    f"A request with this {IDEMPOTENCY_HEADER} is still being processed; try again shortly.",
                    headers={"Retry-After": "1"},
                )
            return Replay(_replayed(record))
        raise Conflict(
            f"A request with this {IDEMPOTENCY_HEADER} is still being processed; try again shortly.",
            headers={"Retry-After": "1"},
        )

    async def begin_or_wait(self, record_key: str, request_fingerprint: str, *, within: float) -> Claim | Replay:
        """As `begin`, but a call holding the key is waited for (up to `within` seconds) and its answer replayed:
        a form posted twice (a double click) gets the first post's answer, not a 409."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            try:
                return await self.begin(record_key, request_fingerprint)
            except IdempotencyKeyReused:
                raise
            except Conflict:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(WAIT_INTERVAL)

    async def complete(self, claim: Claim, response: Response) -> None:
        """Keep `response` (a buffered one) for replays, unless it is a server error or too big to keep."""
        await self.keep(claim, response.status_code, response.headers.items(), bytes(response.body))

    async def keep(self, claim: Claim, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        """Keep an answer for replays, unless it is a server error or too big to keep."""
        if status >= 500 or status == 429 or len(body) > MAX_STORED_BODY_BYTES:
            await self.release(claim)
            return
        record = {
            "state": "done",
            "fingerprint": claim.fingerprint,
            "status": status,
            "headers": [[name, value] for name, value in headers if name.lower() in KEPT_HEADERS],
            "body": base64.b64encode(body).decode("ascii"),
        }
        await self.redis.set(claim.record_key, json.dumps(record), ex=ANSWER_TTL)

    async def release(self, claim: Claim) -> None:
        await self.redis.delete(claim.record_key)


def _replayed(record: dict[str, Any]) -> Response:
    headers = {str(name): str(value) for name, value in record.get("headers", [])}
    headers[REPLAYED_HEADER] = "true"
    return Response(base64.b64decode(record["body"]), status_code=int(record["status"]), headers=headers)
