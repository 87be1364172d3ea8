"""References to invites (entity type `Invite`) for their events; membership events use accounts/events.py."""

from kit.events import EntityRef
from services.identity.models import Invite


def invite_entity(invite: Invite) -> EntityRef:
    """The invite at its current version: bump `invite.version` first when the event is a change."""
    return EntityRef(type="Invite", id=str(invite.id), version=invite.version)
