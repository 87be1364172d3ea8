"""Events raised about customer contacts (entity type `CustomerContact`)."""

import uuid
from typing import ClassVar

from kit.events import EntityRef, Event
from services.identity.models import ContactRole

ENTITY_TYPE = "CustomerContact"


def contact_entity(contact_id: uuid.UUID) -> EntityRef:
    return EntityRef(type=ENTITY_TYPE, id=str(contact_id))


class CustomerContactCreated(Event):
    event_type: ClassVar[str] = "CustomerContactCreated"

    id: uuid.UUID
    customer_id: uuid.UUID
    email: str
    name: str | None
    role: ContactRole


class CustomerContactRoleChanged(Event):
    event_type: ClassVar[str] = "CustomerContactRoleChanged"

    id: uuid.UUID
    customer_id: uuid.UUID
    email: str
    from_role: ContactRole
    to_role: ContactRole


class CustomerContactUpdated(Event):
    """A change of the contact's name; role changes have their own event."""

    event_type: ClassVar[str] = "CustomerContactUpdated"

    id: uuid.UUID
    customer_id: uuid.UUID
    name: str | None


class CustomerContactRemoved(Event):
    event_type: ClassVar[str] = "CustomerContactRemoved"

    id: uuid.UUID
    customer_id: uuid.UUID
    email: str
    role: ContactRole
