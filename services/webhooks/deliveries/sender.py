"""The sender: a background loop of the webhooks worker that sends due deliveries and records each attempt.

It claims due deliveries in one short transaction (`repository.claim_due`: several senders never take the
same one), sends them concurrently, then records each attempt and its outcome in one transaction: 2xx is
success; anything else (a redirect, a timeout, a refused address) is a failed attempt, tried again after
the next delay of the schedule (or the receiver's `Retry-After`, capped) until the schedule runs out. A 410
fails the delivery and disables the endpoint; so does failing without a success for
`WEBHOOKS_DISABLE_AFTER_HOURS`. The schedule lives in the database, so a restart loses nothing.

It waits on a wake-up (set after a consumed batch, a manual retry or a Test commits in this process), with
a short poll as the net. A second loop prunes deliveries older than the retention period.
"""

import asyncio
import contextlib
import email.utils
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.webhooks import WEBHOOK_ENTITY, WebhookDisabled
from kit.db import Database, commit, utcnow
from kit.events import SYSTEM_ACTOR, EntityRef
from kit.outbox import emit
from kit.settings import PlatformSettings
from kit.worker import BackgroundWork
from services.webhooks.deliveries import repository
from services.webhooks.deliveries.repository import ClaimedDelivery
from services.webhooks.deliveries.service import SENDER_WAKE
from services.webhooks.deliveries.signing import signature_header, signing_secrets
from services.webhooks.endpoints.repository import reseal_secrets
from services.webhooks.models import Base, DeliveryStatus
from services.webhooks.sealing import UnsealableSecret, unseal
from services.webhooks.settings import WebhooksSettings
from services.webhooks.ssrf import AddressRefused, GuardedResolver, check_literal

logger = logging.getLogger(__name__)

USER_AGENT = "Distribu-Webhooks/1"
RESPONSE_LIMIT = 4096
GONE_REASON = "The receiver answered 410 Gone."
PRUNE_INTERVAL = timedelta(hours=1)
PRUNE_BATCH = 1000


@dataclass(frozen=True)
class Outcome:
    """What one attempt got back: a status code and the start of the body, or an error."""

    status_code: int | None
    error: str | None
    duration_ms: int
    response_body: str = ""
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A `Retry-After` header as seconds from now: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


async def _read_start(response: aiohttp.ClientResponse) -> str:
    """The first 4 KB of the response body (the rest is never read)."""
    data = b""
    while len(data) < RESPONSE_LIMIT:
        chunk = await response.content.read(RESPONSE_LIMIT - len(data))
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", errors="replace")


class WebhookSender:
    """Sends due deliveries of one database until cancelled. Use as `async with` (it holds HTTP sessions)."""

    def __init__(self, database: Database, settings: WebhooksSettings) -> None:
        self.database = database
        self.settings = settings
        self.allowed = list(settings.allowed_networks)
        # The outbox needs the service's tables (kit.outbox): WebhookDisabled is emitted from here.
        database.session_info.setdefault("metadata", Base.metadata)
        self._wake = asyncio.Event()
        self._https: aiohttp.ClientSession | None = None
        self._http: aiohttp.ClientSession | None = None

    async def wake(self) -> None:
        self._wake.set()

    def _session(self, *, only_allowed: bool) -> aiohttp.ClientSession:
        # Our resolver checks every address a name resolves to, in the lookup the connection then uses.
        connector = aiohttp.TCPConnector(resolver=GuardedResolver(self.allowed, only_allowed=only_allowed))
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout_seconds),
            trust_env=self.settings.use_environment_proxy,
        )

    async def __aenter__(self) -> "WebhookSender":
        self._https = self._session(only_allowed=False)
        self._http = self._session(only_allowed=True)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for session in (self._https, self._http):
            if session is not None:
                await session.close()
        self._https = self._http = None

    async def run(self) -> None:
        """Send what is due, then wait for a wake-up or the poll; until cancelled."""
        self.database.session_info[SENDER_WAKE] = self.wake
        async with self:
            while True:
                self._wake.clear()
                try:
                    sent = await self.send_due()
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    logger.error("could not send webhook deliveries; will retry", extra={"error": repr(error)})
                    sent = 0
                if sent >= self.settings.sender_concurrency:
                    continue  # a full claim: more may be due already
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.poll_interval_seconds):
                        await self._wake.wait()

    async def send_due(self) -> int:
        """Claim the due deliveries (up to the concurrency), send them at once, record them; returns how many."""
        claimed = await repository.claim_due(
            self.database,
            Base.metadata,
            utcnow(),
            limit=self.settings.sender_concurrency,
            lease=timedelta(seconds=self.settings.claim_lease_seconds),
        )
        if claimed:
            await asyncio.gather(*(self._deliver(delivery) for delivery in claimed))
        return len(claimed)

    async def _deliver(self, claimed: ClaimedDelivery) -> None:
        try:
            at = utcnow()
            headers, outcome = await self._send(claimed, at)
            await self._record(claimed, at, headers, outcome)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # Its lease runs out and another round takes it again.
            logger.error("could not deliver a webhook", extra={"delivery_id": str(claimed.id), "error": repr(error)})

    def _request(self, claimed: ClaimedDelivery, at: datetime) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(claimed.body, separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = int(at.timestamp())
        keys = self.settings.sealing_keys
        previous = unseal(claimed.sealed_previous_secret, keys) if claimed.sealed_previous_secret else None
        signing = signing_secrets(unseal(claimed.sealed_secret, keys), previous, claimed.previous_secret_expires_at, at)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": str(claimed.event_id),
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(signing, str(claimed.event_id), timestamp, body),
        }
        return body, headers

    async def _send(self, claimed: ClaimedDelivery, at: datetime) -> tuple[dict[str, str], Outcome]:
        try:
            body, headers = self._request(claimed, at)
        except UnsealableSecret as unsealable:
            # Sent unsigned it would be refused: a failed attempt, on record, retried on the schedule.
            return {}, Outcome(None, str(unsealable), 0)
        parts = urlsplit(claimed.url)
        started = time.perf_counter()

        def elapsed() -> int:
            return round((time.perf_counter() - started) * 1000)

        session = self._https if parts.scheme.lower() == "https" else self._http
        assert session is not None, "use the sender as `async with`"
        try:
            check_literal(parts, self.allowed)
            async with session.post(claimed.url, data=body, headers=headers, allow_redirects=False) as response:
                text = await _read_start(response)
                retry_after = retry_after_seconds(response.headers.get("retry-after"), utcnow())
                error = None
                if 300 <= response.status < 400:
                    error = f"Redirects are not followed (Location: {response.headers.get('location', 'none')})."[:500]
                return headers, Outcome(response.status, error, elapsed(), text, retry_after)
        except AddressRefused as error:
            return headers, Outcome(None, str(error)[:500], elapsed())
        except TimeoutError:
            message = f"No complete answer within {self.settings.timeout_seconds:g} s."
            return headers, Outcome(None, message, elapsed())
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.os_error, AddressRefused):
                return headers, Outcome(None, str(error.os_error)[:500], elapsed())
            message = f"Could not connect to {error.host}:{error.port}: {error.os_error.strerror or error.os_error}"
            return headers, Outcome(None, message[:500], elapsed())
        except aiohttp.ClientError as error:
            return headers, Outcome(None, f"The request failed: {error!r}"[:500], elapsed())

    def _next_delay(self, attempt_count: int, outcome: Outcome) -> float | None:
        """Seconds until the next attempt after this failed one (the `attempt_count`-th), None after the last."""
        schedule = self.settings.retry_schedule_seconds
        if outcome.status_code == 410 or attempt_count > len(schedule):
            return None
        if outcome.retry_after is not None:
            return min(outcome.retry_after, self.settings.retry_after_cap_seconds)
        return schedule[attempt_count - 1]

    async def _record(self, claimed: ClaimedDelivery, at: datetime, headers: dict[str, str], outcome: Outcome) -> None:
        now = utcnow()
        attempt_count = claimed.attempt_count + 1
        async with self.database.sessionmaker() as session:
            attempt = {
                "at": at,
                "status_code": outcome.status_code,
                "error": outcome.error,
                "duration_ms": outcome.duration_ms,
                "request_headers": headers,
                "response_body": outcome.response_body,
            }
            if not await repository.record_attempt(session, claimed, attempt):
                await session.rollback()
                return
            if outcome.succeeded:
                await repository.update_delivery(
                    session,
                    claimed,
                    {
                        "status": DeliveryStatus.SUCCEEDED,
                        "attempt_count": attempt_count,
                        "next_attempt_at": None,
                        "finished_at": now,
                    },
                )
                await repository.endpoint_succeeded(session, claimed)
            else:
                delay = self._next_delay(attempt_count, outcome)
                values: dict[str, Any] = {"attempt_count": attempt_count}
                if delay is None:
                    values |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None, "finished_at": now}
                else:
                    values |= {"status": DeliveryStatus.PENDING, "next_attempt_at": now + timedelta(seconds=delay)}
                await repository.update_delivery(session, claimed, values)
                await self._endpoint_failed(session, claimed, outcome, now)
            await commit(session)

    async def _endpoint_failed(
        self, session: AsyncSession, claimed: ClaimedDelivery, outcome: Outcome, now: datetime
    ) -> None:
        """Note the failure on the endpoint; disable it after a 410 or once it has failed for too long."""
        since = await repository.endpoint_failed(session, claimed, now)
        reason = None
        if outcome.status_code == 410:
            reason = GONE_REASON
        elif since is not None and now - since >= timedelta(hours=self.settings.disable_after_hours):
            reason = f"Every delivery attempt has failed since {since.astimezone(UTC):%Y-%m-%d %H:%M} UTC."
        if reason is None:
            return
        disabled = await repository.disable_endpoint(session, claimed.company_id, claimed.endpoint_id, reason, now)
        if disabled is None:
            return
        version, url = disabled
        logger.warning("disabled a webhook endpoint", extra={"endpoint_id": str(claimed.endpoint_id), "reason": reason})
        await emit(
            session,
            WebhookDisabled(id=claimed.endpoint_id, url=url, reason=reason, automatic=True),
            company_id=claimed.company_id,
            entity=EntityRef(type=WEBHOOK_ENTITY, id=str(claimed.endpoint_id), version=version),
            context=None,
            actor=SYSTEM_ACTOR,
        )


async def prune_old_deliveries(database: Database, settings: WebhooksSettings) -> int:
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    return await repository.prune_deliveries(database, cutoff, PRUNE_BATCH)


async def run_pruner(database: Database, settings: WebhooksSettings) -> None:
    """Prune deliveries past retention at start, then hourly; until cancelled."""
    while True:
        try:
            pruned = await prune_old_deliveries(database, settings)
            if pruned:
                logger.info("pruned old webhook deliveries", extra={"rows": pruned})
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.error("could not prune webhook deliveries", extra={"error": repr(error)})
        await asyncio.sleep(PRUNE_INTERVAL.total_seconds())


def background_work(settings: WebhooksSettings | None = None) -> tuple[BackgroundWork, ...]:
    """The worker's work: resealing the secrets once at start, the sender and the pruner, with `settings` (else
    read from the environment then)."""

    async def reseal(database: Database, _platform: PlatformSettings) -> None:
        resealed = await reseal_secrets(database, (settings or WebhooksSettings()).sealing_keys)
        if resealed:
            logger.info("resealed webhook secrets with the first of WEBHOOKS_SECRET_KEYS", extra={"webhooks": resealed})

    async def send(database: Database, _platform: PlatformSettings) -> None:
        await WebhookSender(database, settings or WebhooksSettings()).run()

    async def prune(database: Database, _platform: PlatformSettings) -> None:
        await run_pruner(database, settings or WebhooksSettings())

    return (reseal, send, prune)
