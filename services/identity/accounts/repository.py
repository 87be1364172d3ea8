"""Queries on users (global) and memberships (per company)."""

import uuid

from sqlalchemy import ColumnElement, SQLColumnExpression, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.repository import TenantRepository
from services.identity.models import Company, Customer, CustomerContact, Membership, User


def stored_email(email: str) -> str:
    """An address as we keep and show it: as the person typed it, without surrounding spaces."""
    return email.strip()


def email_key(email: str) -> str:
    """What tells two addresses apart: emails are unique, and looked up, case-insensitively."""
    return stored_email(email).lower()


def email_matches(column: SQLColumnExpression[str], email: str) -> ColumnElement[bool]:
    """`column` holds `email` in any case; both sides lower-cased by the database, like the unique indexes
    on lower(email), so a lookup and a uniqueness check never disagree (SQLite lower-cases ASCII only)."""
    return func.lower(column) == func.lower(stored_email(email))


class UserRepository:
    """Users are global (not owned by a company): one person, one login, any number of memberships."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_by_email(self, email: str) -> User | None:
        user: User | None = await self.session.scalar(select(User).where(email_matches(User.email, email)))
        return user

    async def email_exists(self, email: str) -> bool:
        found = await self.session.scalar(select(User.id).where(email_matches(User.email, email)))
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


class PrincipalRepository:
    """Who a session's reference points at, for the gateway's lookup after a directory miss.

    Not scoped by a company: the reference comes from a session the gateway issued, and it checks the
    answer's company against the session's. What each read finds stays share-locked until commit (see
    `accounts.service.resolve_principal`); customers and contacts only while their company exists.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def membership(self, ref: uuid.UUID) -> Membership | None:
        membership: Membership | None = await self.session.scalar(
            select(Membership).where(Membership.id == ref).with_for_update(read=True)
        )
        return membership

    async def customer(self, ref: uuid.UUID) -> Customer | None:
        customer: Customer | None = await self.session.scalar(
            select(Customer)
            .join(Company, Company.id == Customer.company_id)
            .where(Customer.id == ref)
            .with_for_update(read=True)
        )
        return customer

    async def contact(self, ref: uuid.UUID) -> CustomerContact | None:
        contact: CustomerContact | None = await self.session.scalar(
            select(CustomerContact)
            .join(Company, Company.id == CustomerContact.company_id)
            .where(CustomerContact.id == ref)
            .with_for_update(read=True)
        )
        return contact
