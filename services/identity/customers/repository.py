"""Queries on customers, customer contacts and addresses; every one scoped by company."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Index, Select, func, insert, or_
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import insert_for
from kit.pagination import keyset_page
from kit.repository import COMPANY, LIKE_ESCAPE, TenantRepository, scoped_select, substring_pattern
from services.identity.accounts.repository import email_matches
from services.identity.models import (
    CONTACT_EMAIL_UNIQUE,
    CUSTOMER_EMAIL_UNIQUE,
    Address,
    Base,
    Customer,
    CustomerContact,
)


def _row(entity: Base) -> dict[str, Any]:
    """Every column of a new (transient) entity, to insert in one Core statement: the hot creates skip the
    ORM's unit of work, and answer with the entity as written."""
    return {column.key: getattr(entity, column.key) for column in entity.__table__.columns}


async def _insert_new(session: AsyncSession, entity: Customer | CustomerContact, unique: Index) -> bool:
    """Insert `entity` unless a row with the same values in the `unique` index exists: False then.
    One statement, where a pre-check would be a second one and still race."""
    model = type(entity)
    inserted = await session.scalar(
        insert_for(session, model)
        .values(_row(entity))
        .on_conflict_do_nothing(index_elements=unique.expressions)
        .returning(model.id)
    )
    return inserted is not None


class CustomerRepository(TenantRepository[Customer]):
    model = Customer

    async def page(self, *, query: str | None, limit: int, cursor: str | None) -> tuple[list[Customer], str | None]:
        """Newest first; `query` matches a substring of the name or the email, ignoring case."""
        statement = self.statement()
        if query:
            pattern = substring_pattern(query)
            statement = statement.where(
                or_(Customer.name.ilike(pattern, escape=LIKE_ESCAPE), Customer.email.ilike(pattern, escape=LIKE_ESCAPE))
            )
        return await keyset_page(
            self.session, statement, sort_column=Customer.created_at, id_column=Customer.id, limit=limit, cursor=cursor
        )

    async def lock(self, customer_id: uuid.UUID) -> Customer | None:
        """The customer, its row locked until commit and re-read: changes to it, its contacts and addresses
        queue here."""
        customer: Customer | None = await self.session.scalar(
            self.statement()
            .where(Customer.id == customer_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return customer

    async def lock_with_contact_count(self, customer_id: uuid.UUID) -> tuple[Customer, int] | None:
        """`lock`, with how many contacts the customer has, in the same statement."""
        contacts = (
            scoped_select(CustomerContact, func.count())
            .where(CustomerContact.customer_id == Customer.id)
            .scalar_subquery()
        )
        statement = (
            self.statement()
            .add_columns(contacts)
            .where(Customer.id == customer_id)
            .with_for_update(of=Customer)
            .execution_options(populate_existing=True)
        )
        row = (await self.session.execute(statement, {COMPANY: self.company_id})).one_or_none()
        return None if row is None else (row[0], int(row[1]))

    async def insert_new(self, customer: Customer) -> bool:
        """Insert the customer unless the company has one with its email already (False then)."""
        if customer.company_id != self.company_id:
            raise ValueError("customer of another company")
        return await _insert_new(self.session, customer, CUSTOMER_EMAIL_UNIQUE)


class ContactRepository(TenantRepository[CustomerContact]):
    model = CustomerContact

    def _of_customer(self, customer_id: uuid.UUID) -> Select[CustomerContact]:
        return self.statement().where(CustomerContact.customer_id == customer_id)

    async def for_customer(self, customer_id: uuid.UUID) -> Sequence[CustomerContact]:
        """Every contact of the customer, in the order they were added."""
        statement = self._of_customer(customer_id).order_by(CustomerContact.created_at, CustomerContact.id)
        return (await self.session.scalars(statement)).all()

    async def get_for_customer(
        self, customer_id: uuid.UUID, contact_id: uuid.UUID, *, lock: bool = False
    ) -> CustomerContact | None:
        """The contact, only when it belongs to that customer: another customer's contact reads as absent.

        `lock` holds its row until commit: of two role changes at once, the second sees the first's role as its `from`.
        """
        statement = self._of_customer(customer_id).where(CustomerContact.id == contact_id)
        contact: CustomerContact | None = await self.session.scalar(statement.with_for_update() if lock else statement)
        return contact

    async def email_taken(self, customer_id: uuid.UUID, email: str) -> bool:
        statement = self._of_customer(customer_id).where(email_matches(CustomerContact.email, email))
        return await self.session.scalar(statement.with_only_columns(CustomerContact.id).limit(1)) is not None

    async def insert_new(self, contact: CustomerContact) -> bool:
        """Insert the contact unless its customer has one with its email already (False then)."""
        if contact.company_id != self.company_id:
            raise ValueError("contact of another company")
        return await _insert_new(self.session, contact, CONTACT_EMAIL_UNIQUE)

    async def ids_for_customer(self, customer_id: uuid.UUID) -> list[uuid.UUID]:
        statement = self._of_customer(customer_id).with_only_columns(CustomerContact.id).order_by(CustomerContact.id)
        return list((await self.session.scalars(statement)).all())

    async def counts_by_customer(self, customer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """How many contacts each of these customers has; customers without any are left out."""
        if not customer_ids:
            return {}
        statement = (
            self.statement()
            .where(CustomerContact.customer_id.in_(customer_ids))
            .with_only_columns(CustomerContact.customer_id, func.count())
            .group_by(CustomerContact.customer_id)
        )
        return {customer_id: int(count) for customer_id, count in (await self.session.execute(statement)).all()}


class AddressRepository(TenantRepository[Address]):
    model = Address

    def _of_customer(self, customer_id: uuid.UUID) -> Select[Address]:
        return self.statement().where(Address.customer_id == customer_id)

    async def for_customer(self, customer_id: uuid.UUID) -> Sequence[Address]:
        """The default address first, then the others in the order they were added."""
        statement = self._of_customer(customer_id).order_by(Address.is_default.desc(), Address.created_at, Address.id)
        return (await self.session.scalars(statement)).all()

    async def get_for_customer(self, customer_id: uuid.UUID, address_id: uuid.UUID) -> Address | None:
        """The address, only when it belongs to that customer: another customer's address reads as absent."""
        address: Address | None = await self.session.scalar(
            self._of_customer(customer_id).where(Address.id == address_id)
        )
        return address

    async def defaults(self, customer_id: uuid.UUID) -> Sequence[Address]:
        return (await self.session.scalars(self._of_customer(customer_id).where(Address.is_default.is_(True)))).all()

    async def insert(self, address: Address) -> None:
        if address.company_id != self.company_id:
            raise ValueError("address of another company")
        await self.session.execute(insert(Address).values(_row(address)))

    async def oldest(self, customer_id: uuid.UUID) -> Address | None:
        address: Address | None = await self.session.scalar(
            self._of_customer(customer_id).order_by(Address.created_at, Address.id).limit(1)
        )
        return address
