"""Event transport: RabbitMQ in full mode, an in-process bus in embedded mode, one interface.

Delivery is at least once; consumers dedupe (kit.consumer). A failed message is redelivered after
each of `retry_delays`, then parked in the service's dead-letter queue with the error.
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
    AbstractIncomingMessage,
    AbstractRobustConnection,
)
from pydantic import ValidationError

from kit.events import EventEnvelope
from kit.logging import event_id_var, request_id_var

logger = logging.getLogger(__name__)

MessageHandler = Callable[[EventEnvelope], Awaitable[None]]

ATTEMPT_HEADER = "x-distribu-attempt"
REQUEST_ID_HEADER = "x-request-id"


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: str
    routing_key: str
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)


class Bus(ABC):
    """Publishes events to the topic exchange and feeds a service's queue to its handler."""

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

    @abstractmethod
    async def subscribe(self, queue: str, routing_keys: Sequence[str], handler: MessageHandler) -> None:
        """Consume `queue`, bound to `routing_keys`, until the bus closes."""


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


def _decode(body: bytes) -> EventEnvelope | None:
    try:
        return EventEnvelope.model_validate_json(body)
    except ValidationError:
        return None


class RabbitBus(Bus):
    """RabbitMQ: persistent messages on a durable topic exchange, quorum queues, confirms."""

    def __init__(self, url: str, namespace: str, retry_delays: Sequence[float]) -> None:
        self.url = url
        self.exchange_name = f"{namespace}.events"
        self.namespace = namespace
        self.retry_delays = list(retry_delays)
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._connected = asyncio.Event()
        self._connect_task: asyncio.Task[None] | None = None
        self._consumer_tasks: list[asyncio.Task[None]] = []
        # One per subscription, set once its queue is declared and bound: until then events are dropped.
        self._bound: list[asyncio.Event] = []

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
        _, exchange = await self._ready(wait=5)
        await exchange.publish(
            aio_pika.Message(
                message.body,
                message_id=message.message_id,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                headers=message.headers,
            ),
            routing_key=message.routing_key,
            timeout=10,
        )

    async def subscribe(self, queue: str, routing_keys: Sequence[str], handler: MessageHandler) -> None:
        bound = asyncio.Event()
        self._bound.append(bound)
        self._consumer_tasks.append(asyncio.create_task(self._consume(queue, routing_keys, handler, bound)))

    async def _consume(
        self, queue_name: str, routing_keys: Sequence[str], handler: MessageHandler, bound: asyncio.Event
    ) -> None:
        connection, _ = await self._ready()
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=16)
        exchange = await channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
        quorum = {"x-queue-type": "quorum"}
        queue = await channel.declare_queue(queue_name, durable=True, arguments=quorum)
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)
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

        async def on_message(message: AbstractIncomingMessage) -> None:
            await self._handle(channel, queue_name, message, handler)

        await queue.consume(on_message)
        bound.set()
        await asyncio.Future()  # consume until cancelled

    async def _handle(
        self,
        channel: AbstractChannel,
        queue_name: str,
        message: AbstractIncomingMessage,
        handler: MessageHandler,
    ) -> None:
        headers = dict(message.headers or {})
        attempt = int(str(headers.get(ATTEMPT_HEADER, 0))) + 1
        request_id_var.set(str(headers[REQUEST_ID_HEADER]) if headers.get(REQUEST_ID_HEADER) else None)
        event_id_var.set(message.message_id)
        envelope = _decode(message.body)
        try:
            if envelope is None:
                raise ValueError("message is not an event envelope")
            await handler(envelope)
        except Exception as error:
            if envelope is not None and attempt <= len(self.retry_delays):
                target = f"{queue_name}.retry.{attempt}"
                logger.warning(
                    "event handler failed, will retry",
                    extra={"queue": queue_name, "attempt": attempt, "error": repr(error), "type": envelope.type},
                )
            else:
                target = f"{queue_name}.dlq"
                headers["x-distribu-error"] = repr(error)[:1000]
                logger.error(
                    "event dead-lettered; replay by moving it from the DLQ back to the queue",
                    extra={
                        "queue": queue_name,
                        "dlq": target,
                        "attempt": attempt,
                        "error": repr(error),
                        "routing_key": message.routing_key,
                    },
                )
            headers[ATTEMPT_HEADER] = attempt
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    message_id=message.message_id,
                    content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    headers=headers,
                ),
                routing_key=target,
                timeout=10,
            )
        await message.ack()


class InProcessBus(Bus):
    """Embedded mode: queues in memory, the same retry rule; nothing to install, nothing durable."""

    def __init__(self, retry_delays: Sequence[float]) -> None:
        self.retry_delays = list(retry_delays)
        self.dead_letters: list[tuple[str, EventEnvelope, str]] = []
        self._subscriptions: list[tuple[str, Sequence[str], asyncio.Queue[EventEnvelope]]] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def ping(self) -> None:
        return None

    async def publish(self, message: OutgoingMessage) -> None:
        envelope = _decode(message.body)
        if envelope is None:
            raise ValueError("not an event envelope")
        for _queue_name, patterns, queue in self._subscriptions:
            if any(topic_matches(pattern, message.routing_key) for pattern in patterns):
                queue.put_nowait(envelope)

    async def subscribe(self, queue: str, routing_keys: Sequence[str], handler: MessageHandler) -> None:
        inbox: asyncio.Queue[EventEnvelope] = asyncio.Queue()
        self._subscriptions.append((queue, list(routing_keys), inbox))
        self._tasks.append(asyncio.create_task(self._consume(queue, inbox, handler)))

    async def _consume(self, queue: str, inbox: asyncio.Queue[EventEnvelope], handler: MessageHandler) -> None:
        while True:
            envelope = await inbox.get()
            event_id_var.set(str(envelope.id))
            request_id_var.set(envelope.request_id)
            for attempt, delay in enumerate([*self.retry_delays, None], start=1):
                try:
                    await handler(envelope)
                    break
                except Exception as error:
                    if delay is None:
                        logger.error("event dead-lettered", extra={"queue": queue, "error": repr(error)})
                        self.dead_letters.append((queue, envelope, repr(error)))
                    else:
                        logger.warning("event handler failed, will retry", extra={"attempt": attempt})
                        await asyncio.sleep(delay)


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
