"""RabbitMQ helpers for tests: publish envelopes as another service would, watch queues, clean up."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection, FieldValue
from aiormq.exceptions import ChannelNotFoundEntity

from kit.bus import REQUEST_ID_HEADER
from kit.events import EventEnvelope


def exchange_name(namespace: str) -> str:
    return f"{namespace}.events"


async def wait_for_queue(connection: AbstractRobustConnection, name: str, within: float = 15.0) -> None:
    """Wait until `name` exists; a consumer declares its DLQ last, so that means its bindings are in place."""
    deadline = time.monotonic() + within
    while True:
        channel = await connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
            return
        except ChannelNotFoundEntity:
            if time.monotonic() > deadline:
                raise TimeoutError(f"queue {name} was never declared") from None
            await asyncio.sleep(0.05)
        finally:
            if not channel.is_closed:
                await channel.close()


async def delete_service_queues(
    connection: AbstractRobustConnection, namespace: str, service: str, retries: int
) -> None:
    """Queues of a test-only service (conftest cleans up the real services' queues)."""
    channel = await connection.channel()
    base = f"{namespace}.{service}.events"
    for name in [base, f"{base}.dlq", *(f"{base}.retry.{n}" for n in range(1, retries + 1))]:
        await channel.queue_delete(name)
    await channel.close()


class EventPublisher:
    """Publishes envelopes to the events exchange exactly as a service's relay does."""

    def __init__(self, connection: AbstractRobustConnection, namespace: str) -> None:
        self.connection = connection
        self.namespace = namespace
        self._exchange: aio_pika.abc.AbstractExchange | None = None

    async def publish(self, envelope: EventEnvelope) -> None:
        if self._exchange is None:
            channel = await self.connection.channel(publisher_confirms=True)
            self._exchange = await channel.declare_exchange(
                exchange_name(self.namespace), aio_pika.ExchangeType.TOPIC, durable=True
            )
        headers: dict[str, FieldValue] = {REQUEST_ID_HEADER: envelope.request_id} if envelope.request_id else {}
        await self._exchange.publish(
            aio_pika.Message(
                envelope.model_dump_json(by_alias=True).encode(),
                message_id=str(envelope.id),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                headers=headers,
            ),
            routing_key=envelope.routing_key,
        )


class QueueProbe:
    """A private queue bound to the events exchange, to see exactly what was published."""

    def __init__(self) -> None:
        self._messages: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()

    async def put(self, message: AbstractIncomingMessage) -> None:
        await message.ack()
        await self._messages.put(message)

    async def get(self, within: float = 10.0) -> AbstractIncomingMessage:
        return await asyncio.wait_for(self._messages.get(), within)

    async def nothing_more(self, wait: float = 0.5) -> bool:
        """True when no further message arrives within `wait` seconds."""
        try:
            await asyncio.wait_for(self._messages.get(), wait)
        except TimeoutError:
            return True
        return False


@contextlib.asynccontextmanager
async def probe(
    connection: AbstractRobustConnection, namespace: str, routing_keys: Sequence[str]
) -> AsyncIterator[QueueProbe]:
    channel = await connection.channel()
    exchange = await channel.declare_exchange(exchange_name(namespace), aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    for key in routing_keys:
        await queue.bind(exchange, routing_key=key)
    watcher = QueueProbe()
    await queue.consume(watcher.put)
    try:
        yield watcher
    finally:
        await channel.close()
