"""Webhook endpoint routes (`/api/v1/webhooks`): OWNER and ADMIN, and API keys with webhooks:read/write."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from kit.access import staff
from kit.context import Context
from kit.db import Session
from kit.errors import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from kit.pagination import Page
from services.webhooks.endpoints import service
from services.webhooks.endpoints.schemas import (
    EventTypeList,
    RotatedSecret,
    WebhookChange,
    WebhookCreate,
    WebhookRead,
    WebhookWithSecret,
)
from services.webhooks.endpoints.service import WebhookRejected
from services.webhooks.settings import WebhooksSettings

router = APIRouter(
    prefix="/api/v1/webhooks", tags=["webhooks"], dependencies=[staff("OWNER", "ADMIN", scope="webhooks")]
)


def _settings(request: Request) -> WebhooksSettings:
    settings: WebhooksSettings = request.app.state.webhooks_settings
    return settings


Settings = Annotated[WebhooksSettings, Depends(_settings)]


@router.get("/event-types", responses=problem_responses(Unauthorized, Forbidden))
async def list_event_types() -> EventTypeList:
    """Every event type Distribu emits, with a one-line description: what a webhook can subscribe to."""
    return service.event_types()


@router.get("", responses=problem_responses(Unauthorized, Forbidden))
async def list_webhooks(session: Session, context: Context) -> Page[WebhookRead]:
    """The company's webhooks (at most 20), oldest first, each with its latest delivery's outcome."""
    return Page(items=await service.list_webhooks(session, context))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(Unauthorized, Forbidden, Conflict, WebhookRejected),
)
async def create_webhook(
    session: Session, context: Context, settings: Settings, body: WebhookCreate
) -> WebhookWithSecret:
    """A new webhook. The answer carries its signing `secret`, shown this once (and at each rotation).
    422 for a URL the SSRF guard refuses or an unknown event type; 409 past 20 webhooks."""
    return await service.create_webhook(session, context, body, settings.allowed_networks, settings.sealing_keys)


@router.get("/{webhook_id:uuid}", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def get_webhook(session: Session, context: Context, webhook_id: uuid.UUID) -> WebhookRead:
    return await service.webhook_read(session, await service.get_endpoint(session, context, webhook_id))


@router.patch("/{webhook_id:uuid}", responses=problem_responses(Unauthorized, Forbidden, NotFound, WebhookRejected))
async def update_webhook(
    session: Session, context: Context, settings: Settings, webhook_id: uuid.UUID, body: WebhookChange
) -> WebhookRead:
    """Change the URL, event types, description, or enable/disable it. Enabling resumes its pending deliveries."""
    return await service.update_webhook(session, context, webhook_id, body, settings.allowed_networks)


@router.delete(
    "/{webhook_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def delete_webhook(session: Session, context: Context, webhook_id: uuid.UUID) -> None:
    """Delete the webhook with its deliveries and their attempts."""
    await service.delete_webhook(session, context, webhook_id)


@router.post("/{webhook_id:uuid}/rotate-secret", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def rotate_secret(session: Session, context: Context, settings: Settings, webhook_id: uuid.UUID) -> RotatedSecret:
    """A new signing secret, shown this once; the previous one keeps signing beside it for 24 hours."""
    return await service.rotate_secret(session, context, webhook_id, settings.sealing_keys)
