"""Team routes: members and their roles, ownership transfer, and invites (created, listed, revoked, accepted)."""

import uuid

from fastapi import APIRouter, status

from kit.access import PUBLIC, staff
from kit.context import Context
from kit.db import Session
from kit.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PlanLimitReached,
    RateLimited,
    Unauthorized,
    problem_responses,
)
from kit.pagination import Cursor, Limit, Page
from services.identity.accounts.passwords import Guard
from services.identity.accounts.schemas import SessionRead, UserRead
from services.identity.companies.schemas import CompanySummary
from services.identity.dependencies import Principals, Settings
from services.identity.team import service
from services.identity.team.schemas import (
    InviteAccept,
    InviteCreate,
    InviteCreatedRead,
    InviteLookup,
    InviteLookupRead,
    InviteRead,
    MemberRead,
    MemberUpdate,
    OwnershipTransferRead,
    StaffSummary,
)

router = APIRouter(prefix="/api/v1", tags=["team"])


def _member_read(member: service.Member) -> MemberRead:
    return MemberRead(
        id=member.membership.id,
        user_id=member.user.id,
        email=member.user.email,
        name=member.user.name,
        role=member.membership.role,
        created_at=member.membership.created_at,
    )


def _invite_read(listed: service.ListedInvite) -> InviteRead:
    invite = listed.invite
    return InviteRead(
        id=invite.id,
        email=invite.email,
        role=invite.role,
        status=listed.status,
        expires_at=invite.expires_at,
        created_at=invite.created_at,
        invited_by=StaffSummary.model_validate(listed.invited_by) if listed.invited_by else None,
    )


@router.get(
    "/members",
    dependencies=[staff("OWNER", "ADMIN")],
    responses=problem_responses(InvalidInput, Unauthorized, Forbidden),
)
async def list_members(
    session: Session, context: Context, limit: Limit = 50, cursor: Cursor = None
) -> Page[MemberRead]:
    """The company's staff: the owner first, then everyone else by when they joined (owner and admins)."""
    members, next_cursor = await service.list_members(session, context, limit=limit, cursor=cursor)
    return Page[MemberRead](items=[_member_read(member) for member in members], next_cursor=next_cursor)


@router.patch(
    "/members/{member_id}",
    dependencies=[staff("OWNER", "ADMIN")],
    responses=problem_responses(InvalidInput, Unauthorized, Forbidden, NotFound, Conflict),
)
async def update_member(
    session: Session, context: Context, principals: Principals, member_id: uuid.UUID, body: MemberUpdate
) -> MemberRead:
    """Make a member an ADMIN or a MEMBER; it applies on their next request.

    The owner's role moves only by transferring ownership.
    """
    member = await service.change_role(session, principals, member_id, body.role, context=context)
    return _member_read(member)


@router.delete(
    "/members/{member_id}",
    dependencies=[staff("OWNER", "ADMIN")],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def remove_member(session: Session, context: Context, principals: Principals, member_id: uuid.UUID) -> None:
    """Remove someone from the team (admins may remove themselves); the owner cannot be removed."""
    await service.remove_member(session, principals, member_id, context=context)


@router.post(
    "/members/{member_id}/transfer-ownership",
    dependencies=[staff("OWNER", "ADMIN")],
    responses=problem_responses(InvalidInput, Unauthorized, Forbidden, NotFound),
)
async def transfer_ownership(
    session: Session, context: Context, principals: Principals, member_id: uuid.UUID
) -> OwnershipTransferRead:
    """Hand the company to another member (owner only): they become OWNER, the current owner ADMIN."""
    owner, previous_owner = await service.transfer_ownership(session, principals, member_id, context=context)
    return OwnershipTransferRead(owner=_member_read(owner), previous_owner=_member_read(previous_owner))


@router.post(
    "/invites",
    dependencies=[staff("OWNER", "ADMIN")],
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(InvalidInput, Unauthorized, PlanLimitReached, Forbidden, Conflict),
)
async def create_invite(
    session: Session, context: Context, settings: Settings, body: InviteCreate
) -> InviteCreatedRead:
    """Invite someone to the staff as ADMIN or MEMBER. The answer carries the link's token: shown only here."""
    created = await service.create_invite(session, body, context=context, invite_days=settings.invite_days)
    invite = created.invite
    return InviteCreatedRead(
        id=invite.id,
        email=invite.email,
        role=invite.role,
        status="PENDING",
        expires_at=invite.expires_at,
        created_at=invite.created_at,
        token=created.token,
        accept_path=service.accept_path(created.token),
    )


@router.get(
    "/invites",
    dependencies=[staff("OWNER", "ADMIN")],
    responses=problem_responses(InvalidInput, Unauthorized, Forbidden),
)
async def list_invites(
    session: Session, context: Context, limit: Limit = 50, cursor: Cursor = None
) -> Page[InviteRead]:
    """Invites not yet accepted nor revoked, newest first: PENDING, or EXPIRED once their link has run out."""
    listed, next_cursor = await service.list_invites(session, context, limit=limit, cursor=cursor)
    return Page[InviteRead](items=[_invite_read(item) for item in listed], next_cursor=next_cursor)


@router.delete(
    "/invites/{invite_id}",
    dependencies=[staff("OWNER", "ADMIN")],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def revoke_invite(session: Session, context: Context, invite_id: uuid.UUID) -> None:
    """Revoke an invite: its link stops working at once."""
    await service.revoke_invite(session, invite_id, context=context)


@router.post("/invites/lookup", dependencies=[PUBLIC], responses=problem_responses(NotFound))
async def lookup_invite(session: Session, body: InviteLookup) -> InviteLookupRead:
    """What an invite link is for (public).

    The accept page then asks a new user for a name and password, an existing user for their password only.
    """
    overview = await service.lookup_invite(session, body.token)
    return InviteLookupRead(
        company_name=overview.company.name,
        email=overview.invite.email,
        role=overview.invite.role,
        expires_at=overview.invite.expires_at,
        existing_user=overview.existing_user,
    )


@router.post(
    "/invites/accept",
    dependencies=[PUBLIC],
    responses=problem_responses(InvalidInput, Unauthorized, NotFound, Conflict, RateLimited),
)
async def accept_invite(
    session: Session, context: Context, principals: Principals, guard: Guard, body: InviteAccept
) -> SessionRead:
    """Join the inviting company (public); the gateway then signs the new member in, as after signup."""
    signed_in = await service.accept_invite(session, principals, guard, body, context=context)
    return SessionRead(
        user=UserRead.model_validate(signed_in.user),
        company=CompanySummary.model_validate(signed_in.company),
        role=signed_in.membership.role,
        membership_id=signed_in.membership.id,
    )
