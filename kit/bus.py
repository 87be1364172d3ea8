"""Event transport: RabbitMQ in full mode, an in-process bus in embedded mode, one interface.

Delivery is at least once; consumers dedupe (kit.consumer). A subscription takes messages in batches
(up to `batch_size`, collected for `batch_linger` seconds after the first, and under load until
`batch_spacing` after the previous batch began) and applies each batch at once; a batch that fails or
overruns its time limit is applied again one message at a time, so only the message at fault takes the
failure path: redelivered after each of `retry_delays`, then parked in the service's dead-letter queue
with the reason in a header. What no retry can fix (a body that is no envelope, an event type or version
the service does not know) goes to the dead-letter queue at once. Every dead letter is logged at ERROR
and counted (`distribu_events_dead_lettered_total`).
"""

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.robust_channel import RobustChannel
from aiormq.abc import DeliveredMessage
from aiormq.exceptions import ChannelPreconditionFailed
from pamqp.commands import Basic
from prometheus_client import Counter
from pydantic import ValidationError

from kit.events import EventEnvelope
from kit.logging import event_id_var, request_id_var
from kit.settings import PlatformSettings

logger = logging.getLogger(__name__)

MessageHandler = Callable[[EventEnvelope], Awaitable[None]]
BatchHandler = Callable[[list[EventEnvelope]], Awaitable[None]]

ATTEMPT_HEADER = "x-distribu-attempt"
ERROR_HEADER = "x-distribu-error"
REQUEST_ID_HEADER = "x-request-id"

DEAD_LETTERED = Counter(
    "distribu_events_dead_lettered_total",
    "Events parked in a dead-letter queue, by service and reason.",
    ["service", "reason"],
)
RETRIED = Counter("distribu_events_retried_total", "Events sent to a retry queue after failing.", ["service"])
APPLIED = Counter("distribu_events_delivered_total", "Events a consumer applied and acknowledged.", ["service"])

# Why a message went to the dead-letter queue: the counter's `reason` label.
UNDECODABLE = "undecodable"
UNKNOWN_TYPE = "unknown type"
UNKNOWN_VERSION = "unknown version"
FAILED = "failed"
TIMED_OUT = "timed out"


@dataclass(frozen=True)
class Refusal:
    """Why a consumer cannot take an event at all: no retry would help, so it is dead-lettered at once."""

    reason: str
    detail: str


def _accept_all(_envelope: EventEnvelope) -> Refusal | None:
    return None


@dataclass(frozen=True)
class Subscription:
    """A service's queue, the routing keys it is bound to, and how a batch of its events is applied."""

    queue: str
    routing_keys: Sequence[str]
    # Applies the events in one go; raises if any of them cannot be applied (nothing is then kept).
    apply: BatchHandler
    # Says why an event can never be applied (unknown type or version), or None to apply it.
    refuse: Callable[[EventEnvelope], Refusal | None] = _accept_all
    # The service, as metrics and logs name it.
    service: str = ""
    # Keys this queue was bound to before and no longer wants: unbound at start.
    stale_routing_keys: Sequence[str] = ()
    # Called once the queue is bound to `routing_keys` and consumed (records the bindings).
    on_bound: Callable[[], Awaitable[None]] | None = None
    # False: one message at a time (a handler of single envelopes, see Bus.subscribe).
    batched: bool = True


@dataclass(frozen=True)
class ConsumerLimits:
    """How many messages a consumer holds and applies at once, and how long and how often it may try."""

    prefetch: int = 256
    batch_size: int = 256
    batch_linger: float = 0.005
    # Batches begin at least this far apart: an idle consumer applies a message at once, a busy one gathers
    # what arrives meanwhile into its next batch, so its cost per event falls as the load rises.
    batch_spacing: float = 0.1
    time_limit: float = 30.0
    delivery_limit: int = 5

    @classmethod
    def from_settings(cls, platform: PlatformSettings) -> "ConsumerLimits":
        return cls(
            prefetch=platform.consumer_prefetch,
            batch_size=platform.consumer_batch_size,
            batch_linger=platform.consumer_batch_linger,
            batch_spacing=platform.consumer_batch_spacing,
            time_limit=platform.consumer_time_limit,
            delivery_limit=platform.consumer_delivery_limit,
        )

    def batch_time_limit(self, size: int) -> float:
        """One message's limit plus its share for the rest of the batch: at most twice the limit, so a
        hanging handler in a full batch costs that much before the batch is split and it is cut off alone."""
        return self.time_limit * (1 + size / max(self.batch_size, 1))


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: str
    routing_key: str
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delivery:
    """One message as a consumer received it: its envelope (None if the body is not one), the attempt it
    is (1 for the first delivery), and the transport's own handle on it."""

    envelope: EventEnvelope | None
    attempt: int
    message: Any = None
    decode_error: str = ""


class Bus(ABC):
    """Publishes events to the topic exchange and feeds a service's queue to its consumer."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """Raise unless the broker is reachable now (readiness)."""

    @abstractmethod
    async def publish(self, message: OutgoingMessage) -> None:
        """Return once the broker has taken the message (publisher confirm), else raise."""

    async def publish_many(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        """Publish in order, confirms awaited together; each message's outcome (None: the broker has it)."""
        outcomes: list[BaseException | None] = await asyncio.gather(
            *(self.publish(message) for message in messages), return_exceptions=True
        )
        return outcomes

    @abstractmethod
    async def consume(self, subscription: Subscription) -> None:
        """Consume the subscription's queue, bound to its routing keys, until the bus closes."""

    async def subscribe(self, queue: str, routing_keys: Sequence[str], handler: MessageHandler) -> None:
        """Consume `queue` one envelope at a time with `handler` (tests and tools; services use consume)."""

        async def apply(envelopes: list[EventEnvelope]) -> None:
            for envelope in envelopes:
                await handler(envelope)

        await self.consume(Subscription(queue, routing_keys, apply, service=queue, batched=False))


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: `*` is one word, `#` zero or more."""

    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        if not k:
            return False
        return (p[0] == "*" or p[0] == k[0]) and match(p[1:], k[1:])

    return match(pattern.split("."), key.split("."))


def decode(body: bytes) -> tuple[EventEnvelope | None, str]:
    """The envelope in `body`, or None and why not."""
    try:
        return EventEnvelope.model_validate_json(body), ""
    except ValidationError as error:
        first = error.errors()[0]["msg"]
        return None, f"not an event envelope: {error.error_count()} validation errors, first: {first}"


class Settlement(ABC):
    """What a transport does with a message once its fate is known."""

    @abstractmethod
    async def ack(self, deliveries: Sequence[Delivery]) -> None: ...

    @abstractmethod
    async def retry(self, delivery: Delivery, level: int, error: str) -> None:
        """Send it to retry queue `level` (1-based), to come back after that level's delay."""

    @abstractmethod
    async def dead_letter(self, delivery: Delivery, error: str) -> None: ...


class BatchCollector:
    """Takes a subscription's messages from its inbox in batches (see `ConsumerLimits`)."""

    def __init__(self, inbox: "asyncio.Queue[Delivery]", size: int, limits: ConsumerLimits) -> None:
        self.inbox = inbox
        self.size = size
        self.linger = limits.batch_linger
        self.spacing = limits.batch_spacing
        self._previous_start = float("-inf")

    async def next(self) -> list[Delivery]:
        """The next message, and up to `size` in all that arrive within `linger` of it or, when the previous
        batch began less than `spacing` ago, until `spacing` after that."""
        inbox = self.inbox
        batch = [await inbox.get()]
        loop = asyncio.get_running_loop()
        first = loop.time()
        deadline = max(first + self.linger, self._previous_start + self.spacing)
        while len(batch) < self.size:
            try:
                batch.append(inbox.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):
                    batch.append(await inbox.get())
            except TimeoutError:
                break
        self._previous_start = loop.time()
        return batch


async def _apply_within(subscription: Subscription, envelopes: list[EventEnvelope], limit: float) -> Refusal | None:
    """Apply `envelopes`; None when done, else what went wrong (an error or the time limit)."""
    scope = asyncio.timeout(limit)
    try:
        async with scope:
            await subscription.apply(envelopes)
    except Exception as error:
        if scope.expired():
            return Refusal(TIMED_OUT, f"timed out after {limit:g} s")
        return Refusal(FAILED, repr(error)[:1000])
    return None


async def deliver(
    batch: Sequence[Delivery],
    subscription: Subscription,
    settlement: Settlement,
    limits: ConsumerLimits,
    retry_levels: int,
) -> None:
    """Apply a batch and settle each of its messages (the same rules on every transport)."""
    runnable: list[Delivery] = []
    for delivery in batch:
        if delivery.envelope is None:
            await _dead_letter(subscription, settlement, delivery, Refusal(UNDECODABLE, delivery.decode_error))
            continue
        refusal = subscription.refuse(delivery.envelope)
        if refusal is not None:
            await _dead_letter(subscription, settlement, delivery, refusal)
            continue
        runnable.append(delivery)
    if not runnable:
        return
    if len(runnable) > 1:
        envelopes = [delivery.envelope for delivery in runnable if delivery.envelope is not None]
        event_id_var.set(None)
        request_id_var.set(None)
        outcome = await _apply_within(subscription, envelopes, limits.batch_time_limit(len(envelopes)))
        if outcome is None:
            await settlement.ack(runnable)
            APPLIED.labels(subscription.service).inc(len(runnable))
            return
        logger.warning(
            "a batch of events failed; applying them one at a time",
            extra={"queue": subscription.queue, "events": len(runnable), "error": outcome.detail},
        )
    for delivery in runnable:
        assert delivery.envelope is not None
        event_id_var.set(str(delivery.envelope.id))
        request_id_var.set(delivery.envelope.request_id)
        outcome = await _apply_within(subscription, [delivery.envelope], limits.time_limit)
        if outcome is None:
            await settlement.ack([delivery])
            APPLIED.labels(subscription.service).inc()
        elif delivery.attempt <= retry_levels:
            logger.warning(
                "event handler failed, will retry",
                extra={
                    "queue": subscription.queue,
                    "attempt": delivery.attempt,
                    "reason": outcome.reason,
                    "error": outcome.detail,
                    "type": delivery.envelope.type,
                },
            )
            RETRIED.labels(subscription.service).inc()
            await settlement.retry(delivery, delivery.attempt, outcome.detail)
        else:
            await _dead_letter(subscription, settlement, delivery, outcome)


async def _dead_letter(
    subscription: Subscription, settlement: Settlement, delivery: Delivery, refusal: Refusal
) -> None:
    envelope = delivery.envelope
    logger.error(
        "event dead-lettered; replay by moving it from the DLQ back to the queue",
        extra={
            "queue": subscription.queue,
            "dlq": f"{subscription.queue}.dlq",
            "reason": refusal.reason,
            "error": refusal.detail,
            "attempt": delivery.attempt,
            "type": envelope.type if envelope else None,
            "event_version": envelope.version if envelope else None,
            "event": str(envelope.id) if envelope else None,
        },
    )
    DEAD_LETTERED.labels(subscription.service, refusal.reason).inc()
    await settlement.dead_letter(delivery, f"{refusal.reason}: {refusal.detail}"[:1000])


class RabbitBus(Bus):
    """RabbitMQ: persistent messages on a durable topic exchange, quorum queues, confirms."""

    def __init__(
        self,
        url: str,
        namespace: str,
        retry_delays: Sequence[float],
        limits: ConsumerLimits | None = None,
    ) -> None:
        self.url = url
        self.exchange_name = f"{namespace}.events"
        self.namespace = namespace
        self.retry_delays = list(retry_delays)
        self.limits = limits or ConsumerLimits()
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._connected = asyncio.Event()
        self._connect_task: asyncio.Task[None] | None = None
        self._consumer_tasks: list[asyncio.Task[None]] = []
        # One per subscription, set once its queue is declared and bound: until then events are dropped.
        self._bound: list[asyncio.Event] = []

    @classmethod
    def from_settings(cls, platform: PlatformSettings) -> "RabbitBus":
        return cls(
            platform.broker_url,
            platform.namespace,
            platform.consumer_retry_delays,
            ConsumerLimits.from_settings(platform),
        )

    async def start(self) -> None:
        """Connect in the background: a service starts (and reports not-ready) while the broker is down."""
        self._connect_task = asyncio.create_task(self._connect_forever())

    async def _connect_forever(self) -> None:
        delay = 0.5
        while True:
            try:
                connection = await aio_pika.connect_robust(self.url, reconnect_interval=1.0, timeout=10)
                channel = await connection.channel(publisher_confirms=True)
                self._exchange = await channel.declare_exchange(
                    self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
                )
                self._connection, self._channel = connection, channel
                self._connected.set()
                return
            except Exception as error:
                logger.warning("broker unreachable, retrying", extra={"error": repr(error), "delay": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _ready(self, wait: float | None = None) -> tuple[AbstractRobustConnection, AbstractExchange]:
        if not self._connected.is_set():
            await asyncio.wait_for(self._connected.wait(), wait)
        assert self._connection is not None
        assert self._exchange is not None
        return self._connection, self._exchange

    async def close(self) -> None:
        for task in [*self._consumer_tasks, *([self._connect_task] if self._connect_task else [])]:
            task.cancel()
        await asyncio.gather(*self._consumer_tasks, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()

    async def ping(self) -> None:
        connection, _ = await self._ready(wait=0.5)
        if connection.is_closed or not connection.connected.is_set():
            raise ConnectionError("broker connection is down")
        if not all(bound.is_set() for bound in self._bound):
            raise ConnectionError("event queues are not bound yet")

    async def publish(self, message: OutgoingMessage) -> None:
        [failure] = await self.publish_many([message])
        if failure is not None:
            raise failure

    async def publish_many(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        """Straight onto the AMQP channel, without building a client-side message object per event (a fifth
        of the relay's CPU per event went there). An event no queue is bound to is published all the same:
        nobody wants it yet."""
        try:
            await self._ready(wait=5)
            assert self._channel is not None
            if self._channel.is_closed:
                raise ConnectionError("the broker channel is closed (reconnecting)")
            channel = await self._channel.get_underlay_channel()
        except Exception as error:  # not connected: none of them went out
            return [error] * len(messages)
        exchange = self.exchange_name

        async def publish(message: OutgoingMessage) -> None:
            properties = Basic.Properties(
                message_id=message.message_id,
                content_type="application/json",
                delivery_mode=2,  # persistent
                headers=message.headers or None,
            )
            confirmation = await channel.basic_publish(
                message.body,
                exchange=exchange,
                routing_key=message.routing_key,
                properties=properties,
                mandatory=False,
                timeout=10,
            )
            _require_ack(confirmation, message.routing_key)

        outcomes: list[BaseException | None] = await asyncio.gather(
            *(publish(message) for message in messages), return_exceptions=True
        )
        return outcomes

    async def consume(self, subscription: Subscription) -> None:
        bound = asyncio.Event()
        self._bound.append(bound)
        self._consumer_tasks.append(asyncio.create_task(self._consume_until_closed(subscription, bound)))

    async def _consume_until_closed(self, subscription: Subscription, bound: asyncio.Event) -> None:
        """Consume; when setting the queue up fails (a queue declared with other arguments, the broker
        going away mid-way), say so loudly and start again, rather than never consuming in silence."""
        delay = 1.0
        while True:
            try:
                await self._consume(subscription, bound)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.error(
                    "cannot consume the service queue; trying again",
                    extra={"queue": subscription.queue, "error": repr(error), "delay": delay},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def queue_arguments(self, queue_name: str) -> dict[str, Any]:
        """A service queue: quorum, and a message delivered `delivery_limit` times (each crash of a worker
        holding it counts) goes to the dead-letter queue instead of crashing the next worker."""
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.limits.delivery_limit,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": f"{queue_name}.dlq",
        }

    async def _declare_queue(
        self, connection: AbstractRobustConnection, channel: AbstractChannel, queue_name: str
    ) -> tuple[AbstractChannel, AbstractQueue]:
        try:
            return channel, await channel.declare_queue(
                queue_name, durable=True, arguments=self.queue_arguments(queue_name)
            )
        except ChannelPreconditionFailed as error:
            logger.error(
                "the service queue exists with other arguments, so it has no delivery limit: a message that "
                "crashes the worker is redelivered forever. Recreate the queue (delete it once the workers are "
                "stopped and its messages are drained) to apply them; consuming it as it is meanwhile.",
                extra={"queue": queue_name, "error": repr(error), "wanted": self.queue_arguments(queue_name)},
            )
        # The refusal closed the channel: consume on a fresh one from the queue as it is.
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=self.limits.prefetch)
        return channel, await channel.declare_queue(queue_name, passive=True)

    async def _consume(self, subscription: Subscription, bound: asyncio.Event) -> None:
        queue_name = subscription.queue
        connection, _ = await self._ready()
        first_channel = await connection.channel(publisher_confirms=True)
        await first_channel.set_qos(prefetch_count=self.limits.prefetch)
        channel, queue = await self._declare_queue(connection, first_channel, queue_name)
        exchange = await channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
        for key in subscription.routing_keys:
            await queue.bind(exchange, routing_key=key)
        for key in subscription.stale_routing_keys:
            logger.info("unbinding a routing key no handler wants any more", extra={"queue": queue_name, "key": key})
            await queue.unbind(exchange, routing_key=key)
        quorum: dict[str, Any] = {"x-queue-type": "quorum"}
        for index, delay in enumerate(self.retry_delays, start=1):
            await channel.declare_queue(
                f"{queue_name}.retry.{index}",
                durable=True,
                arguments={
                    **quorum,
                    "x-message-ttl": int(delay * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": queue_name,
                },
            )
        await channel.declare_queue(f"{queue_name}.dlq", durable=True, arguments=quorum)

        inbox: asyncio.Queue[Delivery] = asyncio.Queue()

        async def on_message(message: DeliveredMessage) -> None:
            envelope, error = decode(message.body)
            headers = message.header.properties.headers or {}
            attempt = int(str(headers.get(ATTEMPT_HEADER, 0))) + 1
            inbox.put_nowait(Delivery(envelope, attempt, message, error))

        async def start_consuming(*_reopened: object) -> None:
            # Straight on the AMQP channel: a client-side message object per event cost a quarter of the
            # worker's CPU. After a reconnect the robust channel restores the queue and its bindings, and
            # this consumes again; deliveries of the lost channel are redelivered by the broker.
            underlay = await channel.get_underlay_channel()
            await underlay.basic_consume(queue_name, on_message, no_ack=False)

        await start_consuming()
        if isinstance(channel, RobustChannel):
            channel.reopen_callbacks.add(start_consuming)
        if subscription.on_bound is not None:
            await subscription.on_bound()
        bound.set()
        settlement = _RabbitSettlement(queue_name)
        batches = BatchCollector(inbox, self.limits.batch_size if subscription.batched else 1, self.limits)
        while True:
            await deliver(await batches.next(), subscription, settlement, self.limits, len(self.retry_delays))


class PublishRefused(ConnectionError):
    """The broker did not take a message: it nacked it, or returned it as unroutable."""


def _require_ack(confirmation: object, routing_key: str) -> None:
    if not isinstance(confirmation, Basic.Ack):
        raise PublishRefused(f"the broker did not take the message for {routing_key}: {confirmation!r}")


def _tag(message: DeliveredMessage) -> int:
    tag = message.delivery_tag
    assert tag is not None  # a consumed message always has one
    return tag


class _RabbitSettlement(Settlement):
    """Acks after commit; retries and dead letters are republished (confirmed) before the ack. A republish
    that fails nacks the message back to the queue, so the broker redelivers it rather than holding it."""

    def __init__(self, queue_name: str) -> None:
        self.queue_name = queue_name

    async def ack(self, deliveries: Sequence[Delivery]) -> None:
        last: DeliveredMessage = deliveries[-1].message
        try:
            # Batches are settled in delivery order, so everything before the last is already settled.
            await last.channel.basic_ack(_tag(last), multiple=len(deliveries) > 1)
        except Exception as error:
            # The channel closed since: the broker redelivers these and dedupe skips them.
            logger.warning("could not ack; the broker will redeliver", extra={"error": repr(error)})

    async def retry(self, delivery: Delivery, level: int, error: str) -> None:
        await self._move(delivery, f"{self.queue_name}.retry.{level}", error=None)

    async def dead_letter(self, delivery: Delivery, error: str) -> None:
        await self._move(delivery, f"{self.queue_name}.dlq", error=error)

    async def _move(self, delivery: Delivery, target: str, *, error: str | None) -> None:
        message: DeliveredMessage = delivery.message
        received = message.header.properties
        headers = dict(received.headers or {})
        headers[ATTEMPT_HEADER] = delivery.attempt
        if error is not None:
            headers[ERROR_HEADER] = error
        properties = Basic.Properties(
            message_id=received.message_id,
            content_type=received.content_type,
            delivery_mode=2,  # persistent
            headers=headers,
        )
        try:
            confirmation = await message.channel.basic_publish(
                message.body,
                exchange="",
                routing_key=target,
                properties=properties,
                # Mandatory: should the target queue be missing, the broker returns the message (an error
                # here) rather than dropping it.
                mandatory=True,
                timeout=10,
            )
            _require_ack(confirmation, target)
        except Exception as publish_error:
            logger.error(
                "could not move a failed event; returning it to its queue for redelivery",
                extra={"queue": self.queue_name, "target": target, "error": repr(publish_error)},
            )
            try:
                await message.channel.basic_nack(_tag(message), requeue=True)
            except Exception as nack_error:
                logger.warning("could not nack; the broker will redeliver", extra={"error": repr(nack_error)})
            return
        try:
            await message.channel.basic_ack(_tag(message))
        except Exception as ack_error:
            logger.warning("could not ack; the broker will redeliver", extra={"error": repr(ack_error)})


class InProcessBus(Bus):
    """Embedded mode: queues in memory, the same batch, retry and dead-letter rules; nothing durable."""

    def __init__(self, retry_delays: Sequence[float], limits: ConsumerLimits | None = None) -> None:
        self.retry_delays = list(retry_delays)
        self.limits = limits or ConsumerLimits()
        # (queue, envelope, reason) of each dead letter.
        self.dead_letters: list[tuple[str, EventEnvelope, str]] = []
        self._subscriptions: list[tuple[Subscription, asyncio.Queue[Delivery]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._pending_retries: set[asyncio.TimerHandle] = set()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for handle in self._pending_retries:
            handle.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def ping(self) -> None:
        return None

    async def publish(self, message: OutgoingMessage) -> None:
        envelope, error = decode(message.body)
        if envelope is None:
            raise ValueError(error)
        for subscription, inbox in self._subscriptions:
            if any(topic_matches(pattern, message.routing_key) for pattern in subscription.routing_keys):
                inbox.put_nowait(Delivery(envelope, 1))

    async def consume(self, subscription: Subscription) -> None:
        inbox: asyncio.Queue[Delivery] = asyncio.Queue()
        self._subscriptions.append((subscription, inbox))
        if subscription.on_bound is not None:
            await subscription.on_bound()
        self._tasks.append(asyncio.create_task(self._consume(subscription, inbox)))

    async def _consume(self, subscription: Subscription, inbox: asyncio.Queue[Delivery]) -> None:
        settlement = _InProcessSettlement(self, subscription.queue, inbox)
        batches = BatchCollector(inbox, self.limits.batch_size if subscription.batched else 1, self.limits)
        while True:
            await deliver(await batches.next(), subscription, settlement, self.limits, len(self.retry_delays))


class _InProcessSettlement(Settlement):
    def __init__(self, bus: InProcessBus, queue: str, inbox: asyncio.Queue[Delivery]) -> None:
        self.bus = bus
        self.queue = queue
        self.inbox = inbox

    async def ack(self, deliveries: Sequence[Delivery]) -> None:
        return None

    async def retry(self, delivery: Delivery, level: int, error: str) -> None:
        again = Delivery(delivery.envelope, delivery.attempt + 1)
        pending = self.bus._pending_retries

        def redeliver() -> None:
            pending.discard(handle)
            self.inbox.put_nowait(again)

        handle = asyncio.get_running_loop().call_later(self.bus.retry_delays[level - 1], redeliver)
        pending.add(handle)

    async def dead_letter(self, delivery: Delivery, error: str) -> None:
        assert delivery.envelope is not None  # in-process publishes are envelopes
        self.bus.dead_letters.append((self.queue, delivery.envelope, error))


async def delete_namespace(url: str, namespace: str, services: Sequence[str], retry_levels: int) -> None:
    """Remove what RabbitBus declared under `namespace`: the exchange, and each service's queue with its
    retry and dead-letter queues (for throwaway namespaces: test runs, benchmarks)."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for service in services:
            base = f"{namespace}.{service}.events"
            for name in [base, f"{base}.dlq", *(f"{base}.retry.{n}" for n in range(1, retry_levels + 1))]:
                await channel.queue_delete(name)
        await channel.exchange_delete(f"{namespace}.events")
