"""Delivery routes (`/api/v1/webhooks/{id}/deliveries`, `/test`): OWNER and ADMIN, and API keys with
webhooks:read/write."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from kit.access import staff
from kit.context import Context
from kit.db import Session
from kit.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, problem_responses
from kit.pagination import Cursor, Limit, Page
from services.webhooks.deliveries import service
from services.webhooks.deliveries.repository import DeliveryFilters
from services.webhooks.deliveries.schemas import DeliveryDetail, DeliveryRead
from services.webhooks.models import DeliveryStatus

router = APIRouter(
    prefix="/api/v1/webhooks", tags=["webhooks"], dependencies=[staff("OWNER", "ADMIN", scope="webhooks")]
)


@router.get(
    "/{webhook_id:uuid}/deliveries", responses=problem_responses(InvalidInput, Unauthorized, Forbidden, NotFound)
)
async def list_deliveries(
    session: Session,
    context: Context,
    webhook_id: uuid.UUID,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    event_type: Annotated[str | None, Query(alias="eventType", max_length=200)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeliveryRead]:
    """The webhook's deliveries, newest first, each with its attempts; filtered by status and event type."""
    filters = DeliveryFilters(status=delivery_status, event_type=event_type or None)
    return await service.delivery_page(session, context, webhook_id, filters, limit=limit, cursor=cursor)


@router.get(
    "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}", responses=problem_responses(Unauthorized, Forbidden, NotFound)
)
async def get_delivery(
    session: Session, context: Context, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryDetail:
    """One delivery with its attempts and the exact JSON body it sends."""
    return await service.delivery_detail(session, context, webhook_id, delivery_id)


@router.post(
    "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def retry_delivery(
    session: Session, context: Context, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryRead:
    """One more attempt, now: a FAILED delivery is PENDING again, a SUCCEEDED one is sent again."""
    return await service.retry_delivery(session, context, webhook_id, delivery_id)


@router.post(
    "/{webhook_id:uuid}/test",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def send_test(session: Session, context: Context, webhook_id: uuid.UUID) -> DeliveryRead:
    """Send a `WebhookTest` event to this webhook only; answers with its delivery, sent in a moment."""
    return await service.send_test(session, context, webhook_id)
