"""Events about storefront accounts: a password set up, a sign-in (entity Customer or CustomerContact)."""

import uuid
from typing import ClassVar

from kit.events import EntityRef, Event
from services.identity.storefront.schemas import AccountType

ENTITY_TYPES: dict[AccountType, str] = {"customer": "Customer", "contact": "CustomerContact"}


def account_entity(account_type: AccountType, account_id: uuid.UUID) -> EntityRef:
    return EntityRef(type=ENTITY_TYPES[account_type], id=str(account_id))


class StorefrontPasswordSet(Event):
    event_type: ClassVar[str] = "StorefrontPasswordSet"

    account_type: AccountType
    id: uuid.UUID
    customer_id: uuid.UUID
    email: str


class StorefrontSignedIn(Event):
    event_type: ClassVar[str] = "StorefrontSignedIn"

    account_type: AccountType
    id: uuid.UUID
    customer_id: uuid.UUID
    method: str
