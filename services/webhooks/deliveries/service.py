"""Rules of deliveries: recording one per subscribed endpoint as events arrive, reading them back with their
attempts, sending one again by hand, and the Test button's delivery."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.webhooks import WEBHOOK_ENTITY, WebhookTest
from kit.context import RequestContext
from kit.db import after_commit, new_id, utcnow
from kit.errors import Conflict
from kit.events import EntityRef, EventEnvelope
from kit.pagination import Page
from kit.repository import found
from services.webhooks.deliveries.repository import (
    DeliveryFilters,
    DeliveryRepository,
    Subscriber,
    insert_deliveries,
    subscribed_endpoints,
)
from services.webhooks.deliveries.schemas import AttemptRead, DeliveryDetail, DeliveryRead
from services.webhooks.endpoints.service import EVERY_TYPE, get_endpoint
from services.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery

# The key under which a running sender leaves its wake-up in the database's session info (`sender.py`).
SENDER_WAKE = "webhooks_sender_wake"
TEST_MESSAGE = "This is a test event from Distribu. If you can read this, your endpoint receives our webhooks."


def delivery_body(envelope: EventEnvelope) -> dict[str, Any]:
    """The JSON a delivery sends: Standard Webhooks' {type, timestamp, data}, the whole envelope as data."""
    return {
        "type": envelope.type,
        "timestamp": envelope.occurred_at.isoformat(),
        "data": envelope.model_dump(mode="json", by_alias=True),
    }


def _delivery_row(
    envelope: EventEnvelope, company_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "company_id": company_id,
        "endpoint_id": endpoint_id,
        "event_id": envelope.id,
        "event_type": envelope.type,
        "body": delivery_body(envelope),
        "status": DeliveryStatus.PENDING,
        "attempt_count": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _subscribed(endpoint: Subscriber, envelope: EventEnvelope) -> bool:
    """Whether the endpoint wants the event: of a type it subscribes to, and not from before it existed (an
    event still in flight when the endpoint was created is not sent to it)."""
    wanted = EVERY_TYPE in endpoint.event_types or envelope.type in endpoint.event_types
    return wanted and envelope.occurred_at >= endpoint.created_at


def wake_sender_after_commit(session: AsyncSession) -> None:
    """Wake this process's sender once the transaction commits, so the delivery leaves at once, not at the poll."""
    wake = session.info.get(SENDER_WAKE)
    if wake is not None:
        after_commit(session, wake)


async def record_deliveries(session: AsyncSession, events: Sequence[EventEnvelope]) -> int:
    """One delivery per event and enabled endpoint of its company subscribed to its type; returns how many
    were new (an event recorded before for an endpoint is not recorded twice)."""
    companies = sorted({envelope.company_id for envelope in events if envelope.company_id is not None})
    if not companies:
        return 0
    endpoints: dict[uuid.UUID, list[Subscriber]] = {}
    for endpoint in await subscribed_endpoints(session, companies):
        endpoints.setdefault(endpoint.company_id, []).append(endpoint)
    now = utcnow()
    rows = [
        _delivery_row(envelope, envelope.company_id, endpoint.id, now)
        for envelope in events
        if envelope.company_id is not None
        for endpoint in endpoints.get(envelope.company_id, [])
        if _subscribed(endpoint, envelope)
    ]
    recorded = await insert_deliveries(session, rows)
    if recorded:
        wake_sender_after_commit(session)
    return recorded


def _attempt(attempt: WebhookAttempt) -> AttemptRead:
    return AttemptRead(
        at=attempt.at,
        status_code=attempt.status_code,
        error=attempt.error,
        duration_ms=attempt.duration_ms,
        request_headers=attempt.request_headers,
        response_body=attempt.response_body,
    )


def _read(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status,
        created_at=delivery.created_at,
        next_attempt_at=delivery.next_attempt_at if delivery.status is DeliveryStatus.PENDING else None,
        attempts=[_attempt(attempt) for attempt in attempts],
    )


async def delivery_page(
    session: AsyncSession,
    context: RequestContext,
    webhook_id: uuid.UUID,
    filters: DeliveryFilters,
    *,
    limit: int,
    cursor: str | None,
) -> Page[DeliveryRead]:
    endpoint = await get_endpoint(session, context, webhook_id)
    repository = DeliveryRepository(session, endpoint.company_id)
    deliveries, next_cursor = await repository.page(endpoint.id, filters, limit=limit, cursor=cursor)
    attempts = await repository.attempts_of([delivery.id for delivery in deliveries])
    return Page(items=[_read(delivery, attempts[delivery.id]) for delivery in deliveries], next_cursor=next_cursor)


async def _delivery(
    session: AsyncSession, context: RequestContext, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    endpoint = await get_endpoint(session, context, webhook_id)
    delivery = await DeliveryRepository(session, endpoint.company_id).of_endpoint(endpoint.id, delivery_id)
    return found(delivery, "Delivery")


async def delivery_detail(
    session: AsyncSession, context: RequestContext, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryDetail:
    delivery = await _delivery(session, context, webhook_id, delivery_id)
    attempts = await DeliveryRepository(session, delivery.company_id).attempts_of([delivery.id])
    read = _read(delivery, attempts[delivery.id])
    return DeliveryDetail(**read.model_dump(), body=delivery.body)


async def retry_delivery(
    session: AsyncSession, context: RequestContext, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryRead:
    """One more attempt now: a FAILED delivery is PENDING again, a SUCCEEDED one is sent again."""
    delivery = await _delivery(session, context, webhook_id, delivery_id)
    repository = DeliveryRepository(session, delivery.company_id)
    now = utcnow()
    await repository.send_again(delivery, now)
    delivery.status, delivery.next_attempt_at, delivery.finished_at = DeliveryStatus.PENDING, now, None
    wake_sender_after_commit(session)
    return _read(delivery, (await repository.attempts_of([delivery.id]))[delivery.id])


async def send_test(session: AsyncSession, context: RequestContext, webhook_id: uuid.UUID) -> DeliveryRead:
    """A `WebhookTest` event recorded as a delivery to this endpoint only (never published on the bus)."""
    endpoint = await get_endpoint(session, context, webhook_id)
    if not endpoint.enabled:
        raise Conflict("This webhook is disabled: enable it to send a test.")
    event = WebhookTest(webhook_id=endpoint.id, message=TEST_MESSAGE)
    envelope = EventEnvelope(
        type=event.event_type,
        version=event.event_version,
        company_id=endpoint.company_id,
        actor=context.actor,
        ip_address=context.client_ip,
        request_id=context.request_id,
        entity=EntityRef(type=WEBHOOK_ENTITY, id=str(endpoint.id), version=endpoint.version),
        data=event.model_dump(mode="json", by_alias=True),
    )
    row = _delivery_row(envelope, endpoint.company_id, endpoint.id, utcnow())
    delivery = DeliveryRepository(session, endpoint.company_id).add(WebhookDelivery(**row))
    await session.flush()
    wake_sender_after_commit(session)
    return _read(delivery, [])
