"""Embedded mode's in-process bus holds events until every service listens (started for real in tests/e2e)."""

import asyncio

from deploy.embedded import StartupGatedBus
from kit.bus import OutgoingMessage
from kit.events import EntityRef, EventEnvelope


async def test_events_published_during_start_up_reach_consumers_that_subscribe_later():
    bus = StartupGatedBus([0.01])
    envelope = EventEnvelope(
        type="CompanyCreated",
        version=1,
        company_id=None,
        actor={"type": "SYSTEM"},
        entity=EntityRef(type="Company", id="c1"),
        data={},
    )
    message = OutgoingMessage(str(envelope.id), envelope.routing_key, envelope.model_dump_json(by_alias=True).encode())
    received: list[EventEnvelope] = []

    async def handle(event: EventEnvelope) -> None:
        received.append(event)

    publishing = asyncio.create_task(bus.publish(message))
    await asyncio.sleep(0)  # one turn of the loop: the publish runs up to the gate
    assert not publishing.done(), "the publish went through before any consumer subscribed"
    await bus.subscribe("audit.events", ["#"], handle)
    bus.open()
    await publishing
    for _ in range(100):
        if received:
            break
        await asyncio.sleep(0.01)
    await bus.close()

    assert [event.id for event in received] == [envelope.id]
