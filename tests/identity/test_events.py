"""Signup's events: written to the outbox with the change, then published to RabbitMQ."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractQueue

from tests.identity.conftest import SIGNUP_EVENTS, Identity, signup_body

RECEIVE_SECONDS = 10


@pytest.fixture
async def event_queue(identity: Identity) -> AsyncIterator[AbstractQueue]:
    """A throwaway queue bound to every event on the run's exchange."""
    connection = await aio_pika.connect(identity.platform.broker_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            f"{identity.platform.namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="#")
        yield queue


async def receive(queue: AbstractQueue, company_id: str, count: int) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    async with asyncio.timeout(RECEIVE_SECONDS):
        while len(received) < count:
            message = await queue.get(fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            await message.ack()
            body = json.loads(message.body)
            if body["companyId"] == company_id:
                received.append({"routing_key": message.routing_key, "body": body})
    return received


async def test_signup_writes_its_events_to_the_outbox_as_the_new_user(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    body = signup_body(companyName=f"Evented Co {tag}")
    headers = identity.anonymous(client_ip="198.51.100.23")

    response = await identity.client.post("/api/v1/signup", json=body, headers=headers)

    account = response.json()
    user_id, company_id = account["user"]["id"], account["company"]["id"]
    envelopes = await identity.events(account)
    assert [envelope.type for envelope in envelopes] == SIGNUP_EVENTS
    for envelope in envelopes:
        assert envelope.version == 1
        assert str(envelope.company_id) == company_id
        assert envelope.actor.type == "USER"
        assert str(envelope.actor.id) == user_id
        assert envelope.ip_address == "198.51.100.23"
        assert envelope.request_id

    company, user, membership, trial = envelopes
    assert company.entity.model_dump() == {"type": "Company", "id": company_id, "version": 1}
    assert company.data == {
        "id": company_id,
        "name": f"Evented Co {tag}",
        "slug": f"evented-co-{tag}",
        "currency": "USD",
        "showPricesToGuests": False,
    }
    assert user.entity.model_dump() == {"type": "User", "id": user_id, "version": 1}
    assert user.data == {"id": user_id, "email": body["email"], "name": body["name"]}
    assert "passwordHash" not in user.data
    assert membership.entity.type == "Membership"
    assert membership.data == {"id": membership.entity.id, "userId": user_id, "role": "OWNER"}
    assert trial.entity.type == "Subscription"
    assert trial.data["id"] == trial.entity.id
    assert trial.data["planCode"] == "starter"
    assert trial.data["status"] == "TRIALING"
    assert trial.data["trialEndsAt"]
    assert trial.data["limits"] == {
        "maxProducts": 100,
        "maxTeamMembers": 3,
        "maxCustomers": 50,
        "maxOrdersPerMonth": 200,
    }


async def test_signup_events_are_published_to_rabbitmq(identity: Identity, event_queue: AbstractQueue) -> None:
    account = await identity.signup()

    received = await receive(event_queue, account["company"]["id"], len(SIGNUP_EVENTS))

    assert [message["routing_key"] for message in received] == [f"{name}.v1" for name in SIGNUP_EVENTS]
    assert [message["body"]["type"] for message in received] == SIGNUP_EVENTS
    assert all(message["body"]["actor"]["id"] == account["user"]["id"] for message in received)


async def test_failed_signup_raises_no_events(identity: Identity) -> None:
    body = signup_body(password="short")

    response = await identity.client.post("/api/v1/signup", json=body, headers=identity.anonymous())

    assert response.status_code == 422
    assert await identity.events_naming(body["email"]) == []


async def test_sign_in_raises_user_signed_in(identity: Identity, event_queue: AbstractQueue) -> None:
    body = signup_body()
    account = await identity.signup(**body)
    headers = identity.anonymous(client_ip="192.0.2.44")

    response = await identity.client.post(
        "/api/v1/auth/login", json={"email": body["email"], "password": body["password"]}, headers=headers
    )

    assert response.status_code == 200
    received = await receive(event_queue, account["company"]["id"], len(SIGNUP_EVENTS) + 1)
    signed_in = received[-1]["body"]
    assert signed_in["type"] == "UserSignedIn"
    assert signed_in["actor"] == {"type": "USER", "id": account["user"]["id"], "apiKeyId": None}
    assert signed_in["entity"] == {"type": "User", "id": account["user"]["id"], "version": 1}
    assert signed_in["data"] == {"id": account["user"]["id"], "method": "password"}
    assert signed_in["ipAddress"] == "192.0.2.44"
    uuid.UUID(signed_in["id"])
