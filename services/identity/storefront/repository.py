"""Storefront accounts by email: the company's customers (primary accounts) and contacts that use it."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kit.repository import COMPANY, scoped_update
from services.identity.accounts.repository import email_matches
from services.identity.customers.repository import ContactRepository, CustomerRepository
from services.identity.models import Customer, CustomerContact

StorefrontAccount = Customer | CustomerContact


class StorefrontAccountRepository:
    def __init__(self, session: AsyncSession, company_id: uuid.UUID) -> None:
        self.session = session
        self.customers = CustomerRepository(session, company_id)
        self.contacts = ContactRepository(session, company_id)

    async def with_email(self, email: str, *, lock: bool = False) -> list[StorefrontAccount]:
        """Every account of the company signing in with `email`: primary accounts first, then by age.

        `lock` holds them until commit, so two password setups for one email run one after the other.
        """
        customers = (
            self.customers.statement()
            .where(email_matches(Customer.email, email))
            .order_by(Customer.created_at, Customer.id)
        )
        contacts = (
            self.contacts.statement()
            .where(email_matches(CustomerContact.email, email))
            .order_by(CustomerContact.created_at, CustomerContact.id)
        )
        if lock:
            customers, contacts = customers.with_for_update(), contacts.with_for_update()
        found: list[StorefrontAccount] = list((await self.session.scalars(customers)).all())
        found.extend((await self.session.scalars(contacts)).all())
        return found

    async def set_first_password(self, account: StorefrontAccount, password_hash: str, at: datetime) -> bool:
        """Give `account` its first password (its next version), only if it still has none: False when another
        setup did first.

        A conditional update, so the one-shot holds without row locks (SQLite).
        """
        model = type(account)
        company_id = self.customers.company_id
        version = await self.session.scalar(
            scoped_update(model)
            .where(model.id == account.id, model.password_hash.is_(None))
            .values(password_hash=password_hash, password_set_at=at, version=model.version + 1)
            .returning(model.version)
            .execution_options(synchronize_session=False),
            {COMPANY: company_id},
        )
        if version is None:
            return False
        # What the row now holds, without marking the object changed (no second UPDATE at flush).
        set_committed_value(account, "password_hash", password_hash)
        set_committed_value(account, "password_set_at", at)
        set_committed_value(account, "version", version)
        return True
