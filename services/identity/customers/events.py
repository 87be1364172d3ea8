"""Events raised about customers (entity type `Customer`)."""

import uuid
from typing import ClassVar

from kit.events import EntityRef, Event

ENTITY_TYPE = "Customer"


def customer_entity(customer_id: uuid.UUID) -> EntityRef:
    return EntityRef(type=ENTITY_TYPE, id=str(customer_id))


class CustomerCreated(Event):
    event_type: ClassVar[str] = "CustomerCreated"

    id: uuid.UUID
    email: str
    name: str


class CustomerUpdated(Event):
    event_type: ClassVar[str] = "CustomerUpdated"

    id: uuid.UUID
    email: str
    name: str
    # Names of the fields that changed: "email", "name".
    changes: list[str]


class CustomerDeleted(Event):
    """Its contacts and addresses went with it; consumers holding copies of them drop those too."""

    event_type: ClassVar[str] = "CustomerDeleted"

    id: uuid.UUID
    email: str
    contact_ids: list[uuid.UUID]
