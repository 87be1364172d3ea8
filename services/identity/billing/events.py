"""References to subscriptions (entity type `Subscription`) for the events about them (contracts.identity)."""

from kit.events import EntityRef
from services.identity.models import Subscription

ENTITY_TYPE = "Subscription"


def subscription_entity(subscription: Subscription) -> EntityRef:
    """The subscription at its current version: bump `subscription.version` first when the event is a change."""
    return EntityRef(type=ENTITY_TYPE, id=str(subscription.id), version=subscription.version)
