"""Storefront sign-in, password setup and "who am I" bodies."""

import uuid
from typing import Annotated

from pydantic import StringConstraints

from contracts.identity import AccountType as AccountType
from contracts.identity import ContactRole
from kit.schemas import CamelModel
from services.identity.accounts.schemas import LoginRequest, NewPassword
from services.identity.companies.schemas import CompanySummary


class SetupPasswordRequest(CamelModel):
    # Not validated as an address: an unknown or malformed email gets the one "no pending account" answer.
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]
    password: NewPassword
    confirm_password: Annotated[str, StringConstraints(max_length=100)]


StorefrontLoginRequest = LoginRequest


class SetupPasswordRead(CamelModel):
    # Where to go next: the storefront's sign-in page.
    login_path: str


class AccountRead(CamelModel):
    """Who signed in: the customer's primary account or one of its contacts."""

    type: AccountType
    id: uuid.UUID
    email: str
    name: str | None


class CustomerSummary(CamelModel):
    id: uuid.UUID
    name: str
    email: str


class ContactSummary(CamelModel):
    id: uuid.UUID
    name: str | None
    email: str
    role: ContactRole


class StorefrontSessionRead(CamelModel):
    """The signed-in storefront account; the gateway builds the storefront session from it."""

    account: AccountRead
    customer: CustomerSummary
    # Null when the primary account itself signed in.
    contact: ContactSummary | None
    # The contact's role; the primary account acts as ADMIN.
    role: ContactRole
    company: CompanySummary
