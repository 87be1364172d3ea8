"""Signup, sign-in and "who am I" bodies."""

import uuid
from typing import Annotated

from pydantic import EmailStr, StringConstraints

from kit.schemas import CamelModel
from services.identity.companies.schemas import CompanyName, CompanySummary
from services.identity.models import StaffRole

PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
NewPassword = Annotated[str, StringConstraints(min_length=8, max_length=100)]


class SignupRequest(CamelModel):
    company_name: CompanyName
    name: PersonName
    email: EmailStr
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
