"""Rules of webhook endpoints: at most 20 per company, URLs the SSRF guard accepts, known event types, the
signing secret shown only at creation and rotation (both secrets sign for 24 h after one), and an event for
every change (never carrying a secret)."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.event_types import EVENT_TYPES
from contracts.webhooks import (
    WEBHOOK_ENTITY,
    WebhookCreated,
    WebhookDeleted,
    WebhookDisabled,
    WebhookEnabled,
    WebhookSecretRotated,
    WebhookUpdated,
)
from kit.context import RequestContext
from kit.db import new_id, utcnow
from kit.errors import Conflict, ProblemError
from kit.events import EntityRef, Event
from kit.outbox import emit
from services.webhooks.deliveries.repository import DeliveryRepository
from services.webhooks.deliveries.signing import new_secret
from services.webhooks.endpoints.repository import EndpointRepository
from services.webhooks.endpoints.schemas import (
    EventType,
    EventTypeList,
    LastDelivery,
    RotatedSecret,
    WebhookChange,
    WebhookCreate,
    WebhookRead,
    WebhookWithSecret,
)
from services.webhooks.models import WebhookEndpoint
from services.webhooks.sealing import seal
from services.webhooks.ssrf import IPNetwork, UrlRefused, check_url

MAX_ENDPOINTS = 20
EVERY_TYPE = "*"
# After a rotation the previous secret keeps signing this long, so receivers can switch without a gap.
PREVIOUS_SECRET_LIFETIME = timedelta(hours=24)
DISABLED_BY_USER = "Disabled by a user."


class WebhookRejected(ProblemError):
    """422: the webhook cannot be saved as asked (its URL, an event type); `errors` names the field."""

    status = 422
    title = "Webhook not accepted"
    slug = "webhook-rejected"


def event_types() -> EventTypeList:
    return EventTypeList(items=[EventType(type=name, description=text) for name, text in EVENT_TYPES.items()])


def _checked_url(url: str, allowed: Sequence[IPNetwork]) -> str:
    try:
        check_url(url, allowed)
    except UrlRefused as error:
        raise WebhookRejected(str(error), errors=[{"field": "url", "message": str(error)}]) from error
    return url


def _checked_events(events: list[str]) -> list[str]:
    unique = list(dict.fromkeys(events))
    if EVERY_TYPE in unique:
        if len(unique) > 1:
            message = 'Choose "*" (every event type) or a list of event types, not both.'
            raise WebhookRejected(message, errors=[{"field": "events", "message": message}])
        return unique
    unknown = [name for name in unique if name not in EVENT_TYPES]
    if unknown:
        message = f"Unknown event type {', '.join(unknown)}: see GET /api/v1/webhooks/event-types."
        raise WebhookRejected(message, errors=[{"field": "events", "message": message}])
    return unique


def _entity(endpoint: WebhookEndpoint) -> EntityRef:
    return EntityRef(type=WEBHOOK_ENTITY, id=str(endpoint.id), version=endpoint.version)


async def _emit(session: AsyncSession, context: RequestContext, endpoint: WebhookEndpoint, event: Event) -> None:
    await emit(session, event, company_id=endpoint.company_id, entity=_entity(endpoint), context=context)


async def webhook_read(session: AsyncSession, endpoint: WebhookEndpoint) -> WebhookRead:
    """The endpoint as the API shows it, with its latest delivery's outcome."""
    deliveries = DeliveryRepository(session, endpoint.company_id)
    latest = await deliveries.latest(endpoint.id)
    last = None
    if latest is not None:
        attempts = (await deliveries.attempts_of([latest.id]))[latest.id]
        at = attempts[-1].at if attempts else latest.created_at
        last = LastDelivery(status=latest.status, at=at, status_code=attempts[-1].status_code if attempts else None)
    return WebhookRead(
        id=endpoint.id,
        url=endpoint.url,
        events=list(endpoint.event_types),
        description=endpoint.description,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        disabled_automatically=endpoint.disabled_automatically,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
        last_delivery=last,
    )


async def list_webhooks(session: AsyncSession, context: RequestContext) -> list[WebhookRead]:
    endpoints = await EndpointRepository(session, context.require_company()).all()
    return [await webhook_read(session, endpoint) for endpoint in endpoints]


async def get_endpoint(session: AsyncSession, context: RequestContext, webhook_id: uuid.UUID) -> WebhookEndpoint:
    """The company's endpoint, or 404 (also for another company's)."""
    return await EndpointRepository(session, context.require_company()).get_or_404(webhook_id, "Webhook")


async def create_webhook(
    session: AsyncSession,
    context: RequestContext,
    body: WebhookCreate,
    allowed: Sequence[IPNetwork],
    sealing_keys: Sequence[str],
) -> WebhookWithSecret:
    company_id = context.require_company()
    repository = EndpointRepository(session, company_id)
    url = _checked_url(body.url, allowed)
    events = _checked_events(body.events)
    if await repository.count() >= MAX_ENDPOINTS:
        raise Conflict(f"A company can have at most {MAX_ENDPOINTS} webhooks; delete one to add another.")
    now = utcnow()
    secret = new_secret()
    endpoint = repository.add(
        WebhookEndpoint(
            id=new_id(),
            company_id=company_id,
            url=url,
            event_types=events,
            description=body.description,
            enabled=body.enabled,
            disabled_reason=None if body.enabled else DISABLED_BY_USER,
            disabled_at=None if body.enabled else now,
            disabled_automatically=False,
            sealed_secret=seal(secret, sealing_keys),
            version=1,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    created = WebhookCreated(
        id=endpoint.id, url=url, events=events, description=endpoint.description, enabled=endpoint.enabled
    )
    await _emit(session, context, endpoint, created)
    read = await webhook_read(session, endpoint)
    return WebhookWithSecret(**read.model_dump(), secret=secret)


async def update_webhook(
    session: AsyncSession,
    context: RequestContext,
    webhook_id: uuid.UUID,
    body: WebhookChange,
    allowed: Sequence[IPNetwork],
) -> WebhookRead:
    repository = EndpointRepository(session, context.require_company())
    endpoint = await repository.locked(await get_endpoint(session, context, webhook_id))
    changes: dict[str, object] = {}
    if body.url is not None and body.url != endpoint.url:
        endpoint.url = changes["url"] = _checked_url(body.url, allowed)
    if body.events is not None:
        events = _checked_events(body.events)
        if events != list(endpoint.event_types):
            endpoint.event_types = events
            changes["events"] = events
    if body.description is not None and body.description != endpoint.description:
        endpoint.description = changes["description"] = body.description
    now = utcnow()
    toggled: Event | None = None
    if body.enabled is not None and body.enabled != endpoint.enabled:
        endpoint.enabled = body.enabled
        if body.enabled:
            # Its failures so far are forgiven: the disable window starts again at the next failure.
            endpoint.disabled_reason = endpoint.disabled_at = endpoint.failing_since = None
            endpoint.disabled_automatically = False
            toggled = WebhookEnabled(id=endpoint.id, url=endpoint.url)
        else:
            endpoint.disabled_reason, endpoint.disabled_at = DISABLED_BY_USER, now
            endpoint.disabled_automatically = False
            toggled = WebhookDisabled(id=endpoint.id, url=endpoint.url, reason=DISABLED_BY_USER, automatic=False)
    if changes or toggled is not None:
        endpoint.version += 1
        endpoint.updated_at = now
        await session.flush()
        if changes:
            await _emit(session, context, endpoint, WebhookUpdated(id=endpoint.id, url=endpoint.url, changes=changes))
        if toggled is not None:
            await _emit(session, context, endpoint, toggled)
    return await webhook_read(session, endpoint)


async def delete_webhook(session: AsyncSession, context: RequestContext, webhook_id: uuid.UUID) -> None:
    repository = EndpointRepository(session, context.require_company())
    endpoint = await repository.locked(await get_endpoint(session, context, webhook_id))
    endpoint.version += 1
    await _emit(session, context, endpoint, WebhookDeleted(id=endpoint.id, url=endpoint.url))
    # Its deliveries and their attempts go with it (ON DELETE CASCADE).
    await repository.delete(endpoint)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, context: RequestContext, webhook_id: uuid.UUID, sealing_keys: Sequence[str]
) -> RotatedSecret:
    repository = EndpointRepository(session, context.require_company())
    endpoint = await repository.locked(await get_endpoint(session, context, webhook_id))
    now = utcnow()
    expires_at: datetime = now + PREVIOUS_SECRET_LIFETIME
    endpoint.sealed_previous_secret, endpoint.previous_secret_expires_at = endpoint.sealed_secret, expires_at
    secret = new_secret()
    endpoint.sealed_secret = seal(secret, sealing_keys)
    endpoint.version += 1
    endpoint.updated_at = now
    await session.flush()
    await _emit(session, context, endpoint, WebhookSecretRotated(id=endpoint.id, previous_secret_expires_at=expires_at))
    return RotatedSecret(secret=secret, previous_secret_expires_at=expires_at)
