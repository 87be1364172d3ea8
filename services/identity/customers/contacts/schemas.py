"""Request and response bodies of the contact endpoints (dashboard and storefront alike)."""

import uuid
from datetime import datetime
from typing import Literal

from contracts.identity import ContactRole
from kit.pagination import Page
from kit.schemas import CamelModel
from services.identity.accounts.schemas import EmailAddress
from services.identity.customers.schemas import AccountStatus, OptionalText100, account_status
from services.identity.models import Customer, CustomerContact


class ContactCreate(CamelModel):
    email: EmailAddress
    # Optional; blank reads as no name.
    name: OptionalText100 = None
    role: ContactRole


class ContactUpdate(CamelModel):
    """`role` left out (or null) stays as it is; `name` given as null or blank clears it."""

    role: ContactRole | None = None
    name: OptionalText100 = None


class ContactRead(CamelModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    email: str
    name: str | None
    role: ContactRole
    status: AccountStatus
    created_at: datetime

    @classmethod
    def of(cls, contact: CustomerContact) -> "ContactRead":
        return cls(
            id=contact.id,
            customer_id=contact.customer_id,
            email=contact.email,
            name=contact.name,
            role=contact.role,
            status=account_status(contact.password_hash),
            created_at=contact.created_at,
        )


class PrimaryAccountRead(CamelModel):
    """The customer's own sign-in, shown above its contacts; it always acts as ADMIN."""

    # The customer's id: the primary account is the customer itself.
    id: uuid.UUID
    email: str
    name: str
    role: Literal["ADMIN"] = "ADMIN"
    status: AccountStatus

    @classmethod
    def of(cls, customer: Customer) -> "PrimaryAccountRead":
        return cls(
            id=customer.id, email=customer.email, name=customer.name, status=account_status(customer.password_hash)
        )


class ContactList(Page[ContactRead]):
    """Everyone who signs in for a customer, in one answer: the primary account and every contact
    (oldest first, never paged, so `nextCursor` is always null)."""

    primary: PrimaryAccountRead
