"""References to companies (entity type `Company`) for the events about them (contracts.identity)."""

from kit.events import EntityRef
from services.identity.models import Company

ENTITY_TYPE = "Company"


def company_entity(company: Company) -> EntityRef:
    """The company at its current version: bump `company.version` first when the event is a change."""
    return EntityRef(type=ENTITY_TYPE, id=str(company.id), version=company.version)
