"""Team rules: who may manage the team, role changes, removals, the one owner and its transfer, invites."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import (
    InviteAccepted,
    InviteCreated,
    InviteRevoked,
    MembershipRemoved,
    MembershipRoleChanged,
    OwnershipTransferred,
    StaffRole,
    UserCreated,
)
from kit.context import RequestContext
from kit.db import flush_or_conflict, new_id, utcnow
from kit.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import StaffAccess, staff_access
from services.identity.accounts.events import membership_entity, user_entity
from services.identity.accounts.passwords import PasswordGuard, hash_password, verify_password
from services.identity.accounts.principals import PrincipalDirectory, staff_entry
from services.identity.accounts.repository import UserRepository, stored_email
from services.identity.accounts.service import BAD_CREDENTIALS, SignedIn, grant_membership, user_actor
from services.identity.billing import service as billing
from services.identity.billing.repository import CountersRepository
from services.identity.companies.events import company_entity
from services.identity.companies.repository import CompanyRepository
from services.identity.models import Company, Invite, Membership, User
from services.identity.team.events import invite_entity
from services.identity.team.repository import (
    InviteRepository,
    InviteTokenRepository,
    TeamRepository,
    hash_token,
    users_by_id,
)
from services.identity.team.schemas import InviteAccept, InviteCreate, InviteStatus

OWNER_BY_TRANSFER_ONLY = "Ownership moves only by transfer: use transfer-ownership on the member who should own it."
OWNER_ROLE_FIXED = "The owner's role changes only by transferring ownership."
OWNER_NOT_REMOVABLE = "The owner cannot be removed; transfer ownership to another member first."
INVALID_INVITE = "This invitation link is invalid, has expired or was already used."
ACCEPT_PATH = "/invites/accept?token="


@dataclass(frozen=True)
class Member:
    membership: Membership
    user: User


@dataclass(frozen=True)
class CreatedInvite:
    invite: Invite
    # The link's token, returned once; only its hash is stored.
    token: str


@dataclass(frozen=True)
class ListedInvite:
    invite: Invite
    status: InviteStatus
    invited_by: User | None


@dataclass(frozen=True)
class InviteOverview:
    """What the accept page shows before anyone signs in."""

    invite: Invite
    company: Company
    existing_user: bool


async def _team_manager(session: AsyncSession, context: RequestContext, *, action: str) -> StaffAccess:
    """The calling owner or admin (staff only: API keys never manage the team)."""
    access = await staff_access(session, context)
    access.require_role(StaffRole.OWNER, StaffRole.ADMIN, action=action)
    return access


async def _member(session: AsyncSession, membership: Membership) -> Member:
    return Member(membership, found(await UserRepository(session).get(membership.user_id), "User"))


async def list_members(
    session: AsyncSession, context: RequestContext, *, limit: int, cursor: str | None
) -> tuple[list[Member], str | None]:
    access = await _team_manager(session, context, action="see the team")
    memberships, next_cursor = await TeamRepository(session, access.membership.company_id).page(
        limit=limit, cursor=cursor
    )
    users = await users_by_id(session, [membership.user_id for membership in memberships])
    return [Member(membership, users[membership.user_id]) for membership in memberships], next_cursor


async def _change_role(session: AsyncSession, member: Member, role: StaffRole, *, context: RequestContext) -> None:
    membership = member.membership
    changed = MembershipRoleChanged(
        id=membership.id,
        user_id=membership.user_id,
        email=member.user.email,
        from_role=membership.role,
        to_role=role,
    )
    membership.role = role
    membership.version += 1
    await session.flush()
    await emit(
        session, changed, company_id=membership.company_id, entity=membership_entity(membership), context=context
    )


async def change_role(
    session: AsyncSession,
    principals: PrincipalDirectory,
    membership_id: uuid.UUID,
    role: StaffRole,
    *,
    context: RequestContext,
) -> Member:
    """Make a member an ADMIN or a MEMBER; it applies on their next request."""
    access = await _team_manager(session, context, action="change team members' roles")
    if role is StaffRole.OWNER:
        raise InvalidInput(OWNER_BY_TRANSFER_ONLY, errors=[{"field": "role", "message": OWNER_BY_TRANSFER_ONLY}])
    membership = found(await TeamRepository(session, access.membership.company_id).lock(membership_id), "Member")
    if membership.role is StaffRole.OWNER:
        raise Conflict(OWNER_ROLE_FIXED)
    member = await _member(session, membership)
    if membership.role is role:
        return member
    await _change_role(session, member, role, context=context)
    principals.publish_after_commit(session, staff_entry(membership))
    return member


async def remove_member(
    session: AsyncSession, principals: PrincipalDirectory, membership_id: uuid.UUID, *, context: RequestContext
) -> None:
    """Take someone off the team (an admin may remove themselves); their session ends on its next request.

    The user stays: users are global, and may belong to other companies.
    """
    access = await _team_manager(session, context, action="remove team members")
    repository = TeamRepository(session, access.membership.company_id)
    membership = found(await repository.lock(membership_id), "Member")
    if membership.role is StaffRole.OWNER:
        raise Conflict(OWNER_NOT_REMOVABLE)
    member = await _member(session, membership)
    # The removal is the membership's last version.
    membership.version += 1
    await repository.delete(membership)
    await session.flush()
    await billing.release_team_seat(session, membership.company_id)
    await emit(
        session,
        MembershipRemoved(id=membership.id, user_id=membership.user_id, email=member.user.email, role=membership.role),
        company_id=membership.company_id,
        entity=membership_entity(membership),
        context=context,
    )
    principals.remove_after_commit(session, membership.id)


async def transfer_ownership(
    session: AsyncSession, principals: PrincipalDirectory, membership_id: uuid.UUID, *, context: RequestContext
) -> tuple[Member, Member]:
    """The target becomes OWNER, the current owner ADMIN: (new owner, previous owner).

    The company's row is locked first (the transfer is an event about it, one version of it; a deletion
    takes the same lock first, so the two queue rather than deadlock), then both memberships, the
    caller's first and re-read: two transfers at once queue, and the second then finds its caller no
    longer owner. There is always exactly one owner.
    """
    access = await staff_access(session, context)
    company = found(await CompanyRepository(session).lock(access.membership.company_id), "Company")
    repository = TeamRepository(session, access.membership.company_id)
    if await repository.lock(access.membership.id) is None:
        raise Forbidden("You are not a member of this company.")
    access.require_role(StaffRole.OWNER, action="transfer ownership")
    target = found(await repository.lock(membership_id), "Member")
    if target.id == access.membership.id:
        raise InvalidInput("You already own the company; choose another member to transfer ownership to.")

    previous_owner = await _member(session, access.membership)
    new_owner = await _member(session, target)
    company.version += 1
    await emit(
        session,
        OwnershipTransferred(
            from_membership_id=previous_owner.membership.id,
            to_membership_id=new_owner.membership.id,
            from_user_id=previous_owner.user.id,
            to_user_id=new_owner.user.id,
        ),
        company_id=target.company_id,
        entity=company_entity(company),
        context=context,
    )
    await _change_role(session, previous_owner, StaffRole.ADMIN, context=context)
    await _change_role(session, new_owner, StaffRole.OWNER, context=context)
    principals.publish_after_commit(session, staff_entry(previous_owner.membership), staff_entry(new_owner.membership))
    return new_owner, previous_owner


def invite_status(invite: Invite, now: datetime) -> InviteStatus:
    return "PENDING" if invite.expires_at > now else "EXPIRED"


def accept_path(token: str) -> str:
    # token_urlsafe only yields URL-safe characters: nothing to escape.
    return ACCEPT_PATH + token


def _email_error(message: str) -> list[dict[str, str]]:
    return [{"field": "email", "message": message}]


async def create_invite(
    session: AsyncSession, request: InviteCreate, *, context: RequestContext, invite_days: int
) -> CreatedInvite:
    """Invite someone to the staff with a one-shot link valid for `invite_days`."""
    access = await _team_manager(session, context, action="invite team members")
    if request.role is StaffRole.OWNER:
        raise InvalidInput(
            "An invite cannot make an owner; invite an admin, then transfer ownership.",
            errors=[{"field": "role", "message": "Choose ADMIN or MEMBER."}],
        )
    company_id = access.membership.company_id
    email = stored_email(request.email)
    if not await CompanyRepository(session).hold(company_id):
        raise NotFound("Company not found.")
    # Taken before the checks: with it, two invites of one company (same email or last seat) queue here.
    found(await CountersRepository(session, company_id).lock(), "Company")
    now = utcnow()

    team = TeamRepository(session, company_id)
    user = await UserRepository(session).get_by_email(email)
    if user is not None and await team.for_user(user.id) is not None:
        message = f"{email} is already a member of the team."
        raise Conflict(message, errors=_email_error(message))
    invites = InviteRepository(session, company_id)
    if await invites.pending_for_email(email, now) is not None:
        message = f"{email} already has a pending invite; revoke it first to send a new one."
        raise Conflict(message, errors=_email_error(message))
    await billing.take_team_seat(session, company_id)

    token = secrets.token_urlsafe(32)
    invite = invites.add(
        Invite(
            id=new_id(),
            company_id=company_id,
            email=email,
            role=request.role,
            token_hash=hash_token(token),
            invited_by_user_id=access.membership.user_id,
            expires_at=now + timedelta(days=invite_days),
            version=1,
        )
    )
    await session.flush()
    await emit(
        session,
        InviteCreated(id=invite.id, email=invite.email, role=invite.role, expires_at=invite.expires_at),
        company_id=company_id,
        entity=invite_entity(invite),
        context=context,
    )
    return CreatedInvite(invite=invite, token=token)


async def list_invites(
    session: AsyncSession, context: RequestContext, *, limit: int, cursor: str | None
) -> tuple[list[ListedInvite], str | None]:
    access = await _team_manager(session, context, action="see the team's invites")
    invites, next_cursor = await InviteRepository(session, access.membership.company_id).page_open(
        limit=limit, cursor=cursor
    )
    inviters = await users_by_id(session, [i.invited_by_user_id for i in invites if i.invited_by_user_id])
    now = utcnow()
    listed = [
        ListedInvite(
            invite,
            invite_status(invite, now),
            inviters.get(invite.invited_by_user_id) if invite.invited_by_user_id else None,
        )
        for invite in invites
    ]
    return listed, next_cursor


async def revoke_invite(session: AsyncSession, invite_id: uuid.UUID, *, context: RequestContext) -> None:
    """Cancel a pending or expired invite; its link stops working. Accepted or revoked ones are not found."""
    access = await _team_manager(session, context, action="revoke invites")
    invite = found(await InviteRepository(session, access.membership.company_id).lock_open(invite_id), "Invite")
    now = utcnow()
    invite.revoked_at = now
    invite.version += 1
    await session.flush()
    if invite.expires_at > now:
        # A pending invite's seat comes back; an expired one's was given back by a recount, or will be.
        await billing.release_team_seat(session, invite.company_id)
    await emit(
        session,
        InviteRevoked(id=invite.id, email=invite.email),
        company_id=invite.company_id,
        entity=invite_entity(invite),
        context=context,
    )


def _usable(invite: Invite | None, now: datetime) -> Invite:
    if invite is None or invite.accepted_at is not None or invite.revoked_at is not None or invite.expires_at <= now:
        raise NotFound(INVALID_INVITE)
    return invite


async def lookup_invite(session: AsyncSession, token: str) -> InviteOverview:
    """The invite behind a link, for the accept page; anyone holding the link may ask."""
    invite = _usable(await InviteTokenRepository(session).get(hash_token(token)), utcnow())
    company = found(await CompanyRepository(session).get(invite.company_id), "Company")
    existing_user = await UserRepository(session).email_exists(invite.email)
    return InviteOverview(invite=invite, company=company, existing_user=existing_user)


async def accept_invite(
    session: AsyncSession,
    principals: PrincipalDirectory,
    guard: PasswordGuard,
    request: InviteAccept,
    *,
    context: RequestContext,
) -> SignedIn:
    """Join the inviting company: a new account (name and password) or an existing one (its password).

    Public: the context carries no company, so the invite's is passed explicitly, and the accepting
    user is the actor. An existing user's password check counts against the same backoff as their
    sign-in, and fails with the same answer. The invite is claimed by a conditional update before
    anything is written, so a link is accepted once on every database (SQLite has no row locks).
    """
    tokens = InviteTokenRepository(session)
    company_id = _usable(await tokens.get(hash_token(request.token)), utcnow()).company_id
    # The company before the invite, in the order a deletion locks them.
    if not await CompanyRepository(session).hold(company_id):
        raise NotFound(INVALID_INVITE)
    invite = _usable(await tokens.lock(hash_token(request.token)), utcnow())
    users = UserRepository(session)
    user = await users.get_by_email(invite.email)
    if user is None:
        _require_name(invite, request)
        # Hashed before the claim: on SQLite the claim holds the one write lock until commit.
        password_hash = await hash_password(request.password)
        await _claim(session, invite)
        user = await _new_user(session, invite, request, password_hash, context=context)
    else:
        account = PasswordGuard.staff_account(user.email)
        await guard.attempt(account)
        if not await verify_password(user.password_hash, request.password):
            # Word for word a failed sign-in: an invite one sent oneself must not be a better oracle.
            raise Unauthorized(BAD_CREDENTIALS)
        await guard.succeeded(account)
        if await TeamRepository(session, company_id).for_user(user.id) is not None:
            raise Conflict(f"{user.email} is already a member of this company.")
        await _claim(session, invite)
    actor = user_actor(user.id)
    membership = await grant_membership(session, company_id, user.id, invite.role, context=context, actor=actor)
    await emit(
        session,
        InviteAccepted(id=invite.id, email=invite.email, user_id=user.id, membership_id=membership.id),
        company_id=company_id,
        entity=invite_entity(invite),
        context=context,
        actor=actor,
    )
    principals.publish_after_commit(session, staff_entry(membership))
    company = found(await CompanyRepository(session).get(company_id), "Company")
    return SignedIn(user=user, company=company, membership=membership)


async def _claim(session: AsyncSession, invite: Invite) -> None:
    """Take the invite for this acceptance (its next version), or 404 if a concurrent one (or a revocation)
    took it first."""
    if not await InviteTokenRepository(session).claim(invite, utcnow()):
        raise NotFound(INVALID_INVITE)


def _require_name(invite: Invite, request: InviteAccept) -> str:
    if request.name is None:
        raise InvalidInput(
            f"Enter your name to create the account for {invite.email}.",
            errors=[{"field": "name", "message": "Required for a new account."}],
        )
    return request.name


async def _new_user(
    session: AsyncSession, invite: Invite, request: InviteAccept, password_hash: str, *, context: RequestContext
) -> User:
    user = UserRepository(session).add(
        User(
            id=new_id(),
            email=invite.email,
            name=_require_name(invite, request),
            password_hash=password_hash,
            version=1,
        )
    )
    # The same email may have signed up between our check and our insert.
    await flush_or_conflict(
        session, Conflict(f"An account for {invite.email} was just created; accept the invite with its password.")
    )
    await emit(
        session,
        UserCreated(id=user.id, email=user.email, name=user.name),
        company_id=invite.company_id,
        entity=user_entity(user),
        context=context,
        actor=user_actor(user.id),
    )
    return user
