"""Events about customer addresses (entity type `Address`), built from the row as it is after the change."""

from contracts.identity import AddressCreated, AddressUpdated
from kit.events import EntityRef
from services.identity.models import Address

ENTITY_TYPE = "Address"


def address_entity(address: Address) -> EntityRef:
    """The address at its current version: bump `address.version` first when the event is a change."""
    return EntityRef(type=ENTITY_TYPE, id=str(address.id), version=address.version)


def address_created(address: Address) -> AddressCreated:
    return AddressCreated.model_validate(address)


def address_updated(address: Address) -> AddressUpdated:
    return AddressUpdated.model_validate(address)
