"""Signup, sign-in and "who am I" bodies."""

import uuid
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints, WithJsonSchema

from contracts.identity import StaffRole
from kit.schemas import CamelModel
from services.identity.companies.schemas import CompanyName, CompanySummary

PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
NewPassword = Annotated[str, StringConstraints(min_length=8, max_length=100)]


def _valid_address(address: str) -> str:
    """Check the address as pydantic's EmailStr does, but keep its spelling: EmailStr lower-cases the domain."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"value is not a valid email address: {error}") from None
    return address


# An email as the person typed it (without surrounding spaces); uniqueness and lookups ignore its case.
EmailAddress = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320),
    AfterValidator(_valid_address),
    WithJsonSchema({"type": "string", "format": "email"}),
]


class SignupRequest(CamelModel):
    company_name: CompanyName
    name: PersonName
    email: EmailAddress
    password: NewPassword


class LoginRequest(CamelModel):
    # Not validated as an address: a malformed email simply matches no user, with the usual answer.
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)]
    password: Annotated[str, StringConstraints(max_length=1024)]


class UserRead(CamelModel):
    id: uuid.UUID
    email: str
    name: str


class SessionRead(CamelModel):
    """Who is signed in, in which company, with which role; the gateway builds its session from it."""

    user: UserRead
    company: CompanySummary
    role: StaffRole
    # The session's principal reference (see accounts/principals.py).
    membership_id: uuid.UUID
