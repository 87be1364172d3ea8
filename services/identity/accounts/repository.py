"""Queries on users (global) and memberships (per company)."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.repository import TenantRepository
from services.identity.models import Membership, User


def normalize_email(email: str) -> str:
    """The one spelling of an address we store and look up: emails are unique case-insensitively."""
    return email.strip().lower()


class UserRepository:
    """Users are global (not owned by a company): one person, one login, any number of memberships."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_by_email(self, email: str) -> User | None:
        user: User | None = await self.session.scalar(select(User).where(User.email == normalize_email(email)))
        return user

    async def email_exists(self, email: str) -> bool:
        found = await self.session.scalar(select(User.id).where(User.email == normalize_email(email)))
        return found is not None

    def add(self, user: User) -> User:
        self.session.add(user)
        return user

    async def first_membership(self, user_id: uuid.UUID) -> Membership | None:
        """The company a signing-in user enters: their oldest membership.

        The one membership query not scoped by a company: at sign-in there is no company yet, and it
        is scoped by the user who has just proved who they are instead.
        """
        membership: Membership | None = await self.session.scalar(
            select(Membership)
            .where(Membership.user_id == user_id)
            .order_by(Membership.created_at, Membership.id)
            .limit(1)
        )
        return membership


class MembershipRepository(TenantRepository[Membership]):
    model = Membership

    async def for_user(self, user_id: uuid.UUID) -> Membership | None:
        membership: Membership | None = await self.session.scalar(self.statement().where(Membership.user_id == user_id))
        return membership
