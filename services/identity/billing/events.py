"""Events raised about subscriptions (entity type `Subscription`)."""

import uuid
from datetime import datetime
from typing import ClassVar

from kit.events import EntityRef, Event
from services.identity.billing.schemas import PlanLimits

ENTITY_TYPE = "Subscription"


def subscription_entity(subscription_id: uuid.UUID) -> EntityRef:
    return EntityRef(type=ENTITY_TYPE, id=str(subscription_id))


class TrialStarted(Event):
    """A new company's trial; catalog and orders copy the limits and trial end into their read models."""

    event_type: ClassVar[str] = "TrialStarted"

    id: uuid.UUID
    plan_code: str
    status: str
    trial_ends_at: datetime | None
    limits: PlanLimits


class SubscriptionChanged(Event):
    """A plan change; catalog and orders copy the new limits, as from TrialStarted."""

    event_type: ClassVar[str] = "SubscriptionChanged"

    id: uuid.UUID
    plan_code: str
    previous_plan_code: str
    status: str
    trial_ends_at: datetime | None
    limits: PlanLimits
