"""The embedded-mode bus: AMQP topic matching, and the same batch, retry and dead-letter rules as RabbitMQ."""

import asyncio
import uuid
from collections.abc import Callable

import pytest

from kit.bus import (
    UNKNOWN_TYPE,
    ConsumerLimits,
    InProcessBus,
    MessageHandler,
    OutgoingMessage,
    Refusal,
    Subscription,
    topic_matches,
)
from kit.events import Actor, EntityRef, EventEnvelope
from tests.support.events import wait_until


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


async def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait until the bus's handlers have brought about `condition`."""

    async def holds() -> bool:
        return condition()

    await wait_until(holds, within=5, interval=0.01, what=what)


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
        await _until(lambda: sum(map(len, received.values())) >= 5, "the five deliveries")
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
        await _until(lambda: calls == 3, "the third attempt")
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
        await _until(lambda: bool(bus.dead_letters), "the dead letter")
    finally:
        await bus.close()

    assert calls == 4  # first delivery plus one per retry delay
    [(queue, envelope, error)] = bus.dead_letters
    assert queue == "poison"
    assert str(envelope.id) == message.message_id
    assert error.startswith("failed: ")
    assert "boom" in error


async def test_a_batch_with_a_poison_event_is_split_and_only_that_event_is_dead_lettered() -> None:
    bus = InProcessBus([0.01, 0.01], ConsumerLimits(batch_size=50, batch_linger=0.05, time_limit=0.2))
    batches: list[list[str]] = []
    applied: list[str] = []

    async def apply(envelopes: list[EventEnvelope]) -> None:
        batches.append([envelope.type for envelope in envelopes])
        if any(envelope.type == "Poisoned" for envelope in envelopes):
            raise RuntimeError("boom")
        applied.extend(envelope.type for envelope in envelopes)

    def refuse(envelope: EventEnvelope) -> Refusal | None:
        return Refusal(UNKNOWN_TYPE, "no handler") if envelope.type == "Stranger" else None

    await bus.consume(Subscription("batched", ["#"], apply, refuse=refuse, service="batched"))
    try:
        for event_type in ("Good1", "Good2", "Poisoned", "Stranger", "Good3"):
            await bus.publish(_message(event_type))
        for _ in range(100):
            if len(bus.dead_letters) == 2:
                break
            await asyncio.sleep(0.01)
    finally:
        await bus.close()

    assert batches[0] == ["Good1", "Good2", "Poisoned", "Good3"]  # the refused one never reaches the handler
    assert applied == ["Good1", "Good2", "Good3"]
    reasons = sorted((envelope.type, error.split(":")[0]) for _, envelope, error in bus.dead_letters)
    assert reasons == [("Poisoned", "failed"), ("Stranger", "unknown type")]


async def test_a_hanging_batch_is_cut_off_at_its_time_limit() -> None:
    bus = InProcessBus([], ConsumerLimits(batch_size=10, batch_linger=0.01, time_limit=0.05))

    async def apply(envelopes: list[EventEnvelope]) -> None:
        await asyncio.Event().wait()

    await bus.consume(Subscription("hanging", ["#"], apply, service="hanging"))
    try:
        await bus.publish(_message("Hangs"))
        for _ in range(100):
            if bus.dead_letters:
                break
            await asyncio.sleep(0.01)
    finally:
        await bus.close()

    [(_, _, error)] = bus.dead_letters
    assert error == "timed out: timed out after 0.05 s"


async def test_publishing_something_that_is_not_an_envelope_fails() -> None:
    bus = InProcessBus([])
    with pytest.raises(ValueError, match="envelope"):
        await bus.publish(OutgoingMessage("1", "X.v1", b"{}"))


async def test_an_idle_consumer_applies_at_once_and_a_busy_one_gathers_until_its_batches_are_spaced() -> None:
    spacing = 2.0
    bus = InProcessBus([], ConsumerLimits(batch_size=50, batch_linger=0.001, batch_spacing=spacing, time_limit=5))
    batches: list[list[str]] = []

    async def apply(envelopes: list[EventEnvelope]) -> None:
        batches.append([envelope.type for envelope in envelopes])

    await bus.consume(Subscription("spaced", ["#"], apply, service="spaced"))
    try:
        await bus.publish(_message("First"))
        # Idle since it started: it does not wait out the spacing.
        await wait_until(lambda: _applied(batches), within=spacing / 2, interval=0.01, what="the first event alone")
        # Five more, each after the linger of the one before: within the spacing they wait and go together.
        for name in ("Second", "Third", "Fourth", "Fifth", "Sixth"):
            await bus.publish(_message(name))
            await asyncio.sleep(0.02)
        await _until(lambda: sum(len(batch) for batch in batches) == 6, "all six events")
    finally:
        await bus.close()

    assert batches == [["First"], ["Second", "Third", "Fourth", "Fifth", "Sixth"]]


async def _applied(batches: list[list[str]]) -> bool:
    return bool(batches)
