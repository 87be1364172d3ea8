"""Events raised about customer addresses (entity type `Address`).

Created and updated carry the whole address: the orders service keeps a copy to ship to.
"""

import uuid
from typing import ClassVar

from kit.events import EntityRef, Event
from services.identity.models import Address

ENTITY_TYPE = "Address"


def address_entity(address_id: uuid.UUID) -> EntityRef:
    return EntityRef(type=ENTITY_TYPE, id=str(address_id))


class AddressSnapshot(Event):
    """The fields of an address as they are after the change; not an event type of its own."""

    id: uuid.UUID
    customer_id: uuid.UUID
    label: str | None
    recipient: str | None
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str
    phone: str | None
    is_default: bool


class AddressCreated(AddressSnapshot):
    event_type: ClassVar[str] = "AddressCreated"

    @classmethod
    def of(cls, address: Address) -> "AddressCreated":
        return cls.model_validate(address)


class AddressUpdated(AddressSnapshot):
    event_type: ClassVar[str] = "AddressUpdated"

    @classmethod
    def of(cls, address: Address) -> "AddressUpdated":
        return cls.model_validate(address)


class AddressDeleted(Event):
    event_type: ClassVar[str] = "AddressDeleted"

    id: uuid.UUID
    customer_id: uuid.UUID
