"""Request and response bodies of the team endpoints: members, ownership and invites."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints, WithJsonSchema

from contracts.identity import StaffRole
from kit.schemas import CamelModel
from services.identity.accounts.schemas import EmailAddress, NewPassword, PersonName

InviteStatus = Literal["PENDING", "EXPIRED"]
# A role a member or an invite can be given: never OWNER (ownership moves only by transfer).
GrantableRole = Annotated[StaffRole, WithJsonSchema({"type": "string", "enum": ["ADMIN", "MEMBER"]})]
# Tokens we issue are 43 characters; the bound only keeps junk from reaching the hash.
InviteToken = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StaffSummary(CamelModel):
    """A staff user as other records mention them (who invited, who created a key)."""

    id: uuid.UUID
    name: str


class MemberRead(CamelModel):
    # The membership's id: what the member endpoints take.
    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    name: str
    role: StaffRole
    created_at: datetime


class MemberUpdate(CamelModel):
    # ADMIN or MEMBER; OWNER is refused by the service with a pointer to transfer-ownership.
    role: GrantableRole


class OwnershipTransferRead(CamelModel):
    owner: MemberRead
    previous_owner: MemberRead


class InviteCreate(CamelModel):
    email: EmailAddress
    # ADMIN or MEMBER; an invite never makes an owner.
    role: GrantableRole


class InviteRead(CamelModel):
    id: uuid.UUID
    email: str
    role: StaffRole
    status: InviteStatus
    expires_at: datetime
    created_at: datetime
    invited_by: StaffSummary | None


class InviteCreatedRead(CamelModel):
    """The new invite with its link's token: shown here once, never again (only a hash is kept)."""

    id: uuid.UUID
    email: str
    role: StaffRole
    status: InviteStatus
    expires_at: datetime
    created_at: datetime
    token: str
    # Relative to the web app: the page that looks the token up and accepts it.
    accept_path: str


class InviteLookup(CamelModel):
    token: InviteToken


class InviteLookupRead(CamelModel):
    """What the accept page needs: a new user gives a name and password, an existing one only the password."""

    company_name: str
    email: str
    role: StaffRole
    expires_at: datetime
    existing_user: bool


class InviteAccept(CamelModel):
    token: InviteToken
    # Required when the invited email has no account yet; ignored otherwise.
    name: PersonName | None = None
    password: NewPassword
