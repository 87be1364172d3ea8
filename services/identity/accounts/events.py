"""References to users (entity type `User`) and memberships (entity type `Membership`) for their events."""

from kit.events import EntityRef
from services.identity.models import Membership, User


def user_entity(user: User) -> EntityRef:
    return EntityRef(type="User", id=str(user.id), version=user.version)


def membership_entity(membership: Membership) -> EntityRef:
    """The membership at its current version: bump `membership.version` first when the event is a change."""
    return EntityRef(type="Membership", id=str(membership.id), version=membership.version)
