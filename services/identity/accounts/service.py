"""Account rules: signing up a company with its owner, signing in, and the signed-in member."""

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import MembershipCreated, StaffRole, UserCreated, UserSignedIn
from contracts.redis import PrincipalEntry
from kit.context import RequestContext
from kit.db import new_id
from kit.errors import Conflict, Unauthorized
from kit.events import Actor
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import staff_access
from services.identity.accounts.events import membership_entity, user_entity
from services.identity.accounts.passwords import (
    PasswordGuard,
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from services.identity.accounts.principals import PrincipalDirectory, contact_entry, customer_entry, staff_entry
from services.identity.accounts.repository import (
    MembershipRepository,
    PrincipalRepository,
    UserRepository,
    stored_email,
)
from services.identity.accounts.schemas import LoginRequest, SignupRequest
from services.identity.billing import service as billing
from services.identity.companies import service as companies
from services.identity.companies.directory import StorefrontDirectory
from services.identity.companies.repository import CompanyRepository
from services.identity.models import Company, Membership, User

EMAIL_TAKEN = "An account with this email already exists."
BAD_CREDENTIALS = "Email or password is incorrect."


@dataclass(frozen=True)
class SignedIn:
    user: User
    company: Company
    membership: Membership


def user_actor(user_id: uuid.UUID) -> Actor:
    return Actor(type="USER", id=user_id)


def _email_taken() -> Conflict:
    return Conflict(EMAIL_TAKEN, errors=[{"field": "email", "message": EMAIL_TAKEN}])


async def signup(
    session: AsyncSession,
    directory: StorefrontDirectory,
    principals: PrincipalDirectory,
    request: SignupRequest,
    *,
    context: RequestContext,
    trial_days: int,
) -> SignedIn:
    """Create the company, its owner and the Starter trial, all in the caller's transaction."""
    users = UserRepository(session)
    if await users.email_exists(request.email):
        raise _email_taken()
    password_hash = await hash_password(request.password)
    while True:
        slug = await companies.available_slug(session, request.company_name)
        try:
            signed_in = await _create_account(
                session, directory, request, password_hash, slug, context=context, trial_days=trial_days
            )
            principals.publish_after_commit(session, staff_entry(signed_in.membership))
            return signed_in
        except IntegrityError as error:
            # A concurrent signup took this email or the slug after our checks; nothing of ours is
            # written yet (the collision surfaces at the first flush), so start over cleanly.
            await session.rollback()
            if await users.email_exists(request.email):
                raise _email_taken() from None
            # The slug went to a company that committed (an insert that collides waits for the other
            # transaction's outcome): each round, at least one competing signup is through, so this
            # ends. A collision that left our slug free is not one retrying can cure.
            if not await companies.slug_taken(session, slug):
                raise error


async def _create_account(
    session: AsyncSession,
    directory: StorefrontDirectory,
    request: SignupRequest,
    password_hash: str,
    slug: str,
    *,
    context: RequestContext,
    trial_days: int,
) -> SignedIn:
    user = UserRepository(session).add(
        User(id=new_id(), email=stored_email(request.email), name=request.name, password_hash=password_hash, version=1)
    )
    company = companies.new_company(session, request.company_name, slug)
    await session.flush()

    actor = user_actor(user.id)
    await companies.announce_company(session, directory, company, context=context, actor=actor)
    await emit(
        session,
        UserCreated(id=user.id, email=user.email, name=user.name),
        company_id=company.id,
        entity=user_entity(user),
        context=context,
        actor=actor,
    )
    membership = await grant_membership(session, company.id, user.id, StaffRole.OWNER, context=context, actor=actor)
    await billing.start_trial(session, company.id, trial_days=trial_days, context=context, actor=actor)
    return SignedIn(user=user, company=company, membership=membership)


async def grant_membership(
    session: AsyncSession,
    company_id: uuid.UUID,
    user_id: uuid.UUID,
    role: StaffRole,
    *,
    context: RequestContext,
    actor: Actor | None = None,
) -> Membership:
    """Make a user a staff member of a company (signup's owner now; accepted invites later)."""
    membership = MembershipRepository(session, company_id).add(
        Membership(id=new_id(), company_id=company_id, user_id=user_id, role=role, version=1)
    )
    await session.flush()
    await emit(
        session,
        MembershipCreated(id=membership.id, user_id=user_id, role=role),
        company_id=company_id,
        entity=membership_entity(membership),
        context=context,
        actor=actor,
    )
    return membership


async def login(
    session: AsyncSession,
    principals: PrincipalDirectory,
    guard: PasswordGuard,
    request: LoginRequest,
    *,
    context: RequestContext,
) -> SignedIn:
    """Check a staff member's email and password. Every failure reads the same, and takes as long.

    Each check counts as a failure against the account's backoff (shared with accepting an invite)
    until the password proves right; a success forgets the account's failures.
    """
    account = PasswordGuard.staff_account(request.email)
    await guard.attempt(account)
    users = UserRepository(session)
    user = await users.get_by_email(request.email)
    if user is None:
        await burn_verification_time(request.password)
        raise Unauthorized(BAD_CREDENTIALS)
    if not await verify_password(user.password_hash, request.password):
        raise Unauthorized(BAD_CREDENTIALS)
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(request.password)

    membership = await users.first_membership(user.id)
    if membership is None:
        raise Unauthorized(BAD_CREDENTIALS)
    company = found(await CompanyRepository(session).get(membership.company_id), "Company")
    await emit(
        session,
        UserSignedIn(id=user.id, method="password"),
        company_id=company.id,
        # A sign-in changes nothing of the user: the event carries the user's version as it stands.
        entity=user_entity(user),
        context=context,
        actor=user_actor(user.id),
    )
    principals.publish_after_commit(session, staff_entry(membership))
    await guard.succeeded(account)
    return SignedIn(user=user, company=company, membership=membership)


async def current_member(session: AsyncSession, context: RequestContext) -> SignedIn:
    access = await staff_access(session, context)
    user = found(await UserRepository(session).get(access.membership.user_id), "User")
    company = found(await CompanyRepository(session).get(access.membership.company_id), "Company")
    return SignedIn(user=user, company=company, membership=access.membership)


async def resolve_principal(session: AsyncSession, principals: PrincipalDirectory, ref: uuid.UUID) -> PrincipalEntry:
    """The principal a session points at, for the gateway after a directory miss; heals the entry.

    Looked up by id alone: `ref` comes from a session the gateway issued, and the gateway checks the
    answer's company against the session's. A ref that no longer exists (removed), or whose company was
    deleted, is a 404. What is read stays share-locked until commit, after the entry is written: a role
    change, removal or company deletion racing this waits, then writes or removes the entry after it.
    """
    principals_by_ref = PrincipalRepository(session)
    entry: PrincipalEntry | None = None
    if (membership := await principals_by_ref.membership(ref)) is not None:
        entry = staff_entry(membership)
    elif (customer := await principals_by_ref.customer(ref)) is not None:
        entry = customer_entry(customer)
    elif (contact := await principals_by_ref.contact(ref)) is not None:
        entry = contact_entry(contact)
    resolved = found(entry, "Principal")
    await principals.publish(resolved)
    return resolved
