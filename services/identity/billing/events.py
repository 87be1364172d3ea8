"""References to subscriptions (entity type `Subscription`) and billing profiles (`BillingProfile`) for the events
about them (contracts.identity)."""

from kit.events import EntityRef
from services.identity.models import BillingProfile, Subscription

ENTITY_TYPE = "Subscription"
BILLING_PROFILE_ENTITY_TYPE = "BillingProfile"


def subscription_entity(subscription: Subscription) -> EntityRef:
    """The subscription at its current version: bump `subscription.version` first when the event is a change."""
    return EntityRef(type=ENTITY_TYPE, id=str(subscription.id), version=subscription.version)


def billing_profile_entity(profile: BillingProfile) -> EntityRef:
    """The profile at its current version (1 when new, bumped by each change)."""
    return EntityRef(type=BILLING_PROFILE_ENTITY_TYPE, id=str(profile.id), version=profile.version)
