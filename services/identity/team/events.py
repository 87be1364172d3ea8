"""Events raised about the team: role changes, removals and ownership (entity `Membership` or `Company`) and
invites (entity type `Invite`). Invite events never carry the link's token."""

import uuid
from datetime import datetime
from typing import ClassVar

from kit.events import EntityRef, Event
from services.identity.models import StaffRole


def invite_entity(invite_id: uuid.UUID) -> EntityRef:
    return EntityRef(type="Invite", id=str(invite_id))


class MembershipRoleChanged(Event):
    event_type: ClassVar[str] = "MembershipRoleChanged"

    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    from_role: StaffRole
    to_role: StaffRole


class MembershipRemoved(Event):
    event_type: ClassVar[str] = "MembershipRemoved"

    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    role: StaffRole


class OwnershipTransferred(Event):
    """Raised on the company; the two role changes it implies are raised alongside it."""

    event_type: ClassVar[str] = "OwnershipTransferred"

    from_membership_id: uuid.UUID
    to_membership_id: uuid.UUID
    from_user_id: uuid.UUID
    to_user_id: uuid.UUID


class InviteCreated(Event):
    event_type: ClassVar[str] = "InviteCreated"

    id: uuid.UUID
    email: str
    role: StaffRole
    expires_at: datetime


class InviteRevoked(Event):
    event_type: ClassVar[str] = "InviteRevoked"

    id: uuid.UUID
    email: str


class InviteAccepted(Event):
    event_type: ClassVar[str] = "InviteAccepted"

    id: uuid.UUID
    email: str
    user_id: uuid.UUID
    membership_id: uuid.UUID
