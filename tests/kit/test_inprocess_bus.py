"""The embedded-mode bus: AMQP topic matching, and the same retry-then-dead-letter rule as RabbitMQ."""

import asyncio
import uuid

import pytest

from kit.bus import InProcessBus, MessageHandler, OutgoingMessage, topic_matches
from kit.events import Actor, EntityRef, EventEnvelope


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("#", "CompanyCreated.v1", True),
        ("#", "", True),
        ("CompanyCreated.v1", "CompanyCreated.v1", True),
        ("CompanyCreated.v1", "CompanyCreated.v2", False),
        ("*.v1", "CompanyCreated.v1", True),
        ("*.v1", "CompanyCreated.v1.extra", False),
        ("CompanyCreated.*", "CompanyCreated.v1", True),
        ("*", "CompanyCreated.v1", False),
        ("CompanyCreated.#", "CompanyCreated", True),
        ("CompanyCreated.#", "CompanyCreated.v1.extra", True),
        ("#.v1", "CompanyCreated.v1", True),
        ("#.v1", "CompanyCreated.v2", False),
        ("Company.*.v1", "Company.Created.v1", True),
        ("Company.*.v1", "Company.v1", False),
    ],
)
def test_topic_matching_follows_amqp_rules(pattern: str, key: str, matches: bool) -> None:
    assert topic_matches(pattern, key) is matches


def _message(event_type: str) -> OutgoingMessage:
    envelope = EventEnvelope(
        type=event_type,
        version=1,
        company_id=uuid.uuid4(),
        actor=Actor(type="SYSTEM"),
        entity=EntityRef(type="Thing", id="1"),
        data={},
    )
    return OutgoingMessage(str(envelope.id), envelope.routing_key, envelope.model_dump_json(by_alias=True).encode())


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_each_subscription_gets_the_events_its_patterns_match() -> None:
    bus = InProcessBus([0.01])
    received: dict[str, list[str]] = {"all": [], "companies": [], "v1": []}

    def recorder(name: str) -> MessageHandler:
        async def handle(envelope: EventEnvelope) -> None:
            received[name].append(envelope.type)

        return handle

    await bus.subscribe("all", ["#"], recorder("all"))
    await bus.subscribe("companies", ["CompanyCreated.v1", "CompanyUpdated.v1"], recorder("companies"))
    await bus.subscribe("v1", ["*.v1"], recorder("v1"))
    try:
        await bus.publish(_message("CompanyCreated"))
        await bus.publish(_message("OrderPlaced"))
        await _settle()
    finally:
        await bus.close()

    assert received == {
        "all": ["CompanyCreated", "OrderPlaced"],
        "companies": ["CompanyCreated"],
        "v1": ["CompanyCreated", "OrderPlaced"],
    }


async def test_a_failing_handler_is_retried_and_then_succeeds() -> None:
    bus = InProcessBus([0.01, 0.01, 0.01])
    calls = 0

    async def flaky(envelope: EventEnvelope) -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise RuntimeError("transient")

    await bus.subscribe("flaky", ["#"], flaky)
    try:
        await bus.publish(_message("Anything"))
        await _settle()
    finally:
        await bus.close()

    assert calls == 3
    assert bus.dead_letters == []


async def test_a_handler_that_always_fails_is_dead_lettered_after_the_retries() -> None:
    bus = InProcessBus([0.01, 0.01, 0.01])
    calls = 0

    async def poison(envelope: EventEnvelope) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    await bus.subscribe("poison", ["#"], poison)
    message = _message("Poisoned")
    try:
        await bus.publish(message)
        await _settle()
    finally:
        await bus.close()

    assert calls == 4  # first delivery plus one per retry delay
    [(queue, envelope, error)] = bus.dead_letters
    assert queue == "poison"
    assert str(envelope.id) == message.message_id
    assert "boom" in error


async def test_publishing_something_that_is_not_an_envelope_fails() -> None:
    bus = InProcessBus([])
    with pytest.raises(ValueError, match="envelope"):
        await bus.publish(OutgoingMessage("1", "X.v1", b"{}"))
