"""Queries on orders' directory: the consumer's batched writes, and reads scoped to one company."""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import ReadOnlySession, insert_for, upsert_newer
from kit.repository import COMPANY, TenantReader, scoped_select, scoped_update
from services.orders.models import Address, Customer, Person, PersonKind

CUSTOMERS = cast(Table, Customer.__table__)
ADDRESSES = cast(Table, Address.__table__)
PEOPLE = cast(Table, Person.__table__)
PERSON_KEY = ("id", "company_id")


# -- the consumer's writes --------------------------------------------------------------------------


async def apply_customer_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Customers as identity's events left them (each row its company's), kept only over an older version."""
    await upsert_newer(session, CUSTOMERS, rows, key=["id"], version="version")


async def apply_address_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await upsert_newer(session, ADDRESSES, rows, key=["id"], version="version")


async def apply_person_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """People rows (all with the same columns), each kept only over an older version of the same person."""
    await upsert_newer(session, PEOPLE, rows, key=PERSON_KEY, version="version")


async def add_people_with_email(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert each person (at version 0, so any event that names them applies over it) or, where one is
    stored, give it the email when it has none yet and is not deleted. The email of a contact or a user
    never changes, so whichever event carries it first may write it."""
    if not rows:
        return
    insert = insert_for(session, PEOPLE)
    statement = insert.on_conflict_do_update(
        index_elements=list(PERSON_KEY),
        set_={"email": insert.excluded.email},
        where=PEOPLE.c.email.is_(None) & PEOPLE.c.deleted_at.is_(None),
    )
    await session.execute(statement, sorted(rows, key=lambda row: (str(row["id"]), str(row["company_id"]))))


# A deleted customer's addresses and contacts went with it in identity, without events of their own.
_TOMBSTONE_ADDRESSES = (
    scoped_update(ADDRESSES)
    .where(ADDRESSES.c.customer_id == bindparam("deleted_customer_id"), ADDRESSES.c.deleted_at.is_(None))
    .values(fields=None, deleted_at=bindparam("deleted_when"), updated_at=bindparam("now"))
)
_TOMBSTONE_CONTACTS = (
    scoped_update(PEOPLE)
    .where(
        PEOPLE.c.kind == PersonKind.CONTACT,
        PEOPLE.c.customer_id == bindparam("deleted_customer_id"),
        PEOPLE.c.deleted_at.is_(None),
    )
    .values(name=None, email=None, deleted_at=bindparam("deleted_when"), updated_at=bindparam("now"))
)


async def tombstone_customer_belongings(session: AsyncSession, deletions: Sequence[dict[str, Any]]) -> None:
    """Mark deleted the stored addresses and contacts of each deleted customer (`company_id`, `customer_id`,
    `deleted_at`, `now`); one that arrives later is still never live, its customer being deleted."""
    if not deletions:
        return
    parameters = [
        {
            COMPANY: deletion["company_id"],
            "deleted_customer_id": deletion["customer_id"],
            "deleted_when": deletion["deleted_at"],
            "now": deletion["now"],
        }
        for deletion in deletions
    ]
    await session.execute(_TOMBSTONE_ADDRESSES, parameters)
    await session.execute(_TOMBSTONE_CONTACTS, parameters)


async def names_of_users(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The name each user signed up with, from any company's row of them: a user is one person everywhere."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    # tenancy: a user is global; their name is copied into each company they join.
    statement = select(PEOPLE.c.id, PEOPLE.c.name).where(
        PEOPLE.c.kind == PersonKind.USER, PEOPLE.c.id.in_(ids), PEOPLE.c.name.is_not(None)
    )
    return {row.id: row.name for row in await session.execute(statement)}


async def add_missing_people(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert each person unless stored already (whatever its version)."""
    if rows:
        statement = insert_for(session, PEOPLE).on_conflict_do_nothing(index_elements=list(PERSON_KEY))
        await session.execute(statement, sorted(rows, key=lambda row: (str(row["id"]), str(row["company_id"]))))


# -- reads --------------------------------------------------------------------------------------------


_LIVE_CUSTOMER = scoped_select(Customer).where(Customer.id == bindparam("customer_id"), Customer.deleted_at.is_(None))


class CustomerReader(TenantReader[Customer]):
    model = Customer

    async def get_live(self, customer_id: uuid.UUID) -> Customer | None:
        parameters = {COMPANY: self.company_id, "customer_id": customer_id}
        customer: Customer | None = await self.session.scalar(_LIVE_CUSTOMER, parameters)
        return customer


# A customer's live addresses (`:customer_id`), only while the customer is live: an address event can arrive
# after its customer's deletion. Placing an order picks one of them (`services.orders.orders.repository`).
LIVE_ADDRESSES = (
    scoped_select(ADDRESSES, ADDRESSES.c.id, ADDRESSES.c.fields)
    .join(
        CUSTOMERS,
        (CUSTOMERS.c.company_id == ADDRESSES.c.company_id)
        & (CUSTOMERS.c.id == ADDRESSES.c.customer_id)
        & CUSTOMERS.c.deleted_at.is_(None),
    )
    .where(
        ADDRESSES.c.customer_id == bindparam("customer_id", type_=ADDRESSES.c.customer_id.type),
        ADDRESSES.c.deleted_at.is_(None),
    )
)
_LIVE_ADDRESSES_OLDEST_FIRST = LIVE_ADDRESSES.order_by(ADDRESSES.c.id)


async def live_addresses(
    session: ReadOnlySession, company_id: uuid.UUID, customer_id: uuid.UUID
) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    """The live customer's live addresses, oldest first (ids are time-ordered)."""
    result = await session.execute(_LIVE_ADDRESSES_OLDEST_FIRST, {COMPANY: company_id, "customer_id": customer_id})
    return [(row.id, row.fields) for row in result]


_PERSON_OF_KIND = scoped_select(Person).where(Person.id == bindparam("person_id"), Person.kind == bindparam("kind"))


class PersonReader(TenantReader[Person]):
    model = Person

    async def get_kind(self, person_id: uuid.UUID, kind: PersonKind) -> Person | None:
        parameters = {COMPANY: self.company_id, "person_id": person_id, "kind": kind}
        person: Person | None = await self.session.scalar(_PERSON_OF_KIND, parameters)
        return person
