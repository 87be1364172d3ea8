"""Request and response bodies of the customer endpoints, and the text types contacts and addresses share."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, StringConstraints

from kit.schemas import CamelModel, blank_is_none
from services.identity.accounts.schemas import EmailAddress, PersonName
from services.identity.models import Customer

# PENDING until the account has set its storefront password, ACTIVE from then on.
AccountStatus = Literal["PENDING", "ACTIVE"]


def account_status(password_hash: str | None) -> AccountStatus:
    return "ACTIVE" if password_hash is not None else "PENDING"


OptionalText100 = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None, AfterValidator(blank_is_none)
]


class CustomerCreate(CamelModel):
    email: EmailAddress
    name: PersonName


class CustomerUpdate(CamelModel):
    """Fields left out (or null) stay as they are."""

    email: EmailAddress | None = None
    name: PersonName | None = None


class CustomerRead(CamelModel):
    id: uuid.UUID
    # The primary account's sign-in email, as typed.
    email: str
    name: str
    status: AccountStatus
    # Contacts signing in for this customer, besides its primary account.
    contact_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, customer: Customer, *, contact_count: int) -> "CustomerRead":
        return cls(
            id=customer.id,
            email=customer.email,
            name=customer.name,
            status=account_status(customer.password_hash),
            contact_count=contact_count,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
        )
