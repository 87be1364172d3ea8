"""References to customer contacts (entity type `CustomerContact`) for the events about them."""

from kit.events import EntityRef
from services.identity.models import CustomerContact

ENTITY_TYPE = "CustomerContact"


def contact_entity(contact: CustomerContact) -> EntityRef:
    """The contact at its current version: bump `contact.version` first when the event is a change."""
    return EntityRef(type=ENTITY_TYPE, id=str(contact.id), version=contact.version)
