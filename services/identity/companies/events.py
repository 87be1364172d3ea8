"""Events raised about companies (entity type `Company`)."""

import uuid
from typing import ClassVar

from kit.events import EntityRef, Event

ENTITY_TYPE = "Company"


def company_entity(company_id: uuid.UUID) -> EntityRef:
    return EntityRef(type=ENTITY_TYPE, id=str(company_id))


class CompanyCreated(Event):
    event_type: ClassVar[str] = "CompanyCreated"

    id: uuid.UUID
    name: str
    slug: str
    currency: str
    show_prices_to_guests: bool


class CompanyUpdated(Event):
    event_type: ClassVar[str] = "CompanyUpdated"

    id: uuid.UUID
    name: str
    slug: str
    previous_slug: str
    currency: str
    show_prices_to_guests: bool
    # Names of the fields that changed: "name", "slug", "currency", "showPricesToGuests".
    changes: list[str]
