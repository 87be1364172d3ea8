"""Events raised about users (entity type `User`) and memberships (entity type `Membership`)."""

import uuid
from typing import ClassVar, Literal

from kit.events import EntityRef, Event
from services.identity.models import StaffRole


def user_entity(user_id: uuid.UUID) -> EntityRef:
    return EntityRef(type="User", id=str(user_id))


def membership_entity(membership_id: uuid.UUID) -> EntityRef:
    return EntityRef(type="Membership", id=str(membership_id))


class UserCreated(Event):
    """Never carries the password hash: secrets do not travel in events."""

    event_type: ClassVar[str] = "UserCreated"

    id: uuid.UUID
    email: str
    name: str


class MembershipCreated(Event):
    event_type: ClassVar[str] = "MembershipCreated"

    id: uuid.UUID
    user_id: uuid.UUID
    role: StaffRole


class UserSignedIn(Event):
    event_type: ClassVar[str] = "UserSignedIn"

    id: uuid.UUID
    method: Literal["password"]
