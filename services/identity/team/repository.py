"""Queries on the team: memberships with their users, and invites; every company-owned one scoped by company."""

import hashlib
import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from contracts.identity import StaffRole
from kit.pagination import encode_cursor, keyset_page
from kit.repository import TenantRepository
from services.identity.accounts.repository import MembershipRepository, email_matches
from services.identity.models import Invite, Membership, User

# A keyset position before every membership: where the second page starts when the first held only the owner.
_BEFORE_EVERYONE = encode_cursor(datetime(1970, 1, 1, tzinfo=UTC), uuid.UUID(int=0))


def hash_token(token: str) -> str:
    """SHA-256 (hex) of an invite token: what is stored and looked up, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


async def users_by_id(session: AsyncSession, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, User]:
    """Users are global: callers pass ids they read from their own company's rows."""
    if not user_ids:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(set(user_ids))))
    return {user.id: user for user in rows}


class TeamRepository(MembershipRepository):
    async def lock(self, membership_id: uuid.UUID) -> Membership | None:
        """The membership, locked until commit and re-read, so role checks see the committed role."""
        membership: Membership | None = await self.session.scalar(
            self.statement()
            .where(Membership.id == membership_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return membership

    async def owner(self) -> Membership | None:
        membership: Membership | None = await self.session.scalar(
            self.statement().where(Membership.role == StaffRole.OWNER)
        )
        return membership

    async def page(self, *, limit: int, cursor: str | None) -> tuple[list[Membership], str | None]:
        """The owner first, then everyone else by when they joined.

        The owner heads the first page; cursors walk the others only, so the order stays one keyset.
        """
        others = self.statement().where(Membership.role != StaffRole.OWNER)
        first: list[Membership] = []
        if cursor is None:
            owner = await self.owner()
            if owner is not None:
                first.append(owner)
        remaining = limit - len(first)
        if remaining == 0:
            more = await self.count(Membership.role != StaffRole.OWNER) > 0
            return first, _BEFORE_EVERYONE if more else None
        rows, next_cursor = await keyset_page(
            self.session,
            others,
            sort_column=Membership.created_at,
            id_column=Membership.id,
            limit=remaining,
            cursor=cursor,
            descending=False,
        )
        return first + rows, next_cursor


def _open() -> ColumnElement[bool]:
    return and_(Invite.accepted_at.is_(None), Invite.revoked_at.is_(None))


def _pending(now: datetime) -> ColumnElement[bool]:
    return and_(_open(), Invite.expires_at > now)


class InviteRepository(TenantRepository[Invite]):
    model = Invite

    async def pending_for_email(self, email: str, now: datetime) -> Invite | None:
        invite: Invite | None = await self.session.scalar(
            self.statement().where(email_matches(Invite.email, email), _pending(now)).limit(1)
        )
        return invite

    async def count_pending(self, now: datetime) -> int:
        """Invites that hold a seat on the team: not accepted, revoked or expired."""
        return await self.count(_pending(now))

    async def lock_open(self, invite_id: uuid.UUID) -> Invite | None:
        """A not yet accepted nor revoked invite (expired ones included), locked until commit."""
        invite: Invite | None = await self.session.scalar(
            self.statement()
            .where(Invite.id == invite_id, _open())
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return invite

    async def page_open(self, *, limit: int, cursor: str | None) -> tuple[list[Invite], str | None]:
        """Pending and expired invites (accepted and revoked ones are done with), newest first."""
        return await keyset_page(
            self.session,
            self.statement().where(_open()),
            sort_column=Invite.created_at,
            id_column=Invite.id,
            limit=limit,
            cursor=cursor,
        )


class InviteTokenRepository:
    """Invites found by their link's token, across companies.

    The one invite query not scoped by a company: whoever follows a link has no company yet, and the
    token (256 random bits, unique) is what scopes it.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, token_hash: str) -> Invite | None:
        invite: Invite | None = await self.session.scalar(select(Invite).where(Invite.token_hash == token_hash))
        return invite

    async def lock(self, token_hash: str) -> Invite | None:
        """Locked until commit, so two accepts of one link cannot both succeed."""
        invite: Invite | None = await self.session.scalar(
            select(Invite)
            .where(Invite.token_hash == token_hash)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return invite

    async def claim(self, invite: Invite, now: datetime) -> bool:
        """Mark the invite accepted (its next version) if it still is pending; False when another acceptance
        (or a revocation) got there first. One conditional update: atomic on SQLite as on PostgreSQL."""
        version = await self.session.scalar(
            update(Invite)
            .where(Invite.id == invite.id, _pending(now))
            .values(accepted_at=now, version=Invite.version + 1)
            .returning(Invite.version)
            .execution_options(synchronize_session=False)
        )
        if version is None:
            return False
        # What the row now holds, without marking the object changed (no second UPDATE at flush).
        set_committed_value(invite, "accepted_at", now)
        set_committed_value(invite, "version", version)
        return True
