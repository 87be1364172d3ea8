"""References to storefront accounts (entity `Customer` or `CustomerContact`) for their events."""

from contracts.identity import AccountType
from kit.events import EntityRef
from services.identity.models import Customer, CustomerContact

ENTITY_TYPES: dict[AccountType, str] = {"customer": "Customer", "contact": "CustomerContact"}


def account_entity(account_type: AccountType, account: Customer | CustomerContact) -> EntityRef:
    """The account at its current version: bump `account.version` first when the event is a change."""
    return EntityRef(type=ENTITY_TYPES[account_type], id=str(account.id), version=account.version)
