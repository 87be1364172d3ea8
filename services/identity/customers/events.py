"""References to customers (entity type `Customer`) for the events about them (contracts.identity)."""

from kit.events import EntityRef
from services.identity.models import Customer

ENTITY_TYPE = "Customer"


def customer_entity(customer: Customer) -> EntityRef:
    """The customer at its current version: bump `customer.version` first when the event is a change."""
    return EntityRef(type=ENTITY_TYPE, id=str(customer.id), version=customer.version)
