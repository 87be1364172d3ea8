"""Queries on catalog's customer rows; every one scoped by company."""

import uuid
from collections.abc import Iterable

from sqlalchemy.dialects import postgresql, sqlite

from kit.repository import TenantRepository
from services.catalog.models import Customer


class CustomerRepository(TenantRepository[Customer]):
    model = Customer

    async def get_live(self, customer_id: uuid.UUID) -> Customer | None:
        """The customer, unless identity has deleted it (or catalog has not heard of it yet)."""
        customer: Customer | None = await self.session.scalar(
            self.statement().where(Customer.id == customer_id, Customer.deleted_at.is_(None))
        )
        return customer

    async def lock_or_create_by_id(self, customer_id: uuid.UUID) -> Customer:
        """The customer's row, locked until commit, inserted empty first when missing.

        Insert-if-missing then lock, so two events about one customer handled at once never collide.
        """
        values = {"id": customer_id, "company_id": self.company_id}
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        await self.session.execute(insert(Customer).values(values).on_conflict_do_nothing(index_elements=["id"]))
        return (await self.session.scalars(self.statement().where(Customer.id == customer_id).with_for_update())).one()

    async def by_ids(self, customer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Customer]:
        ids = list(set(customer_ids))
        if not ids:
            return {}
        customers = await self.session.scalars(self.statement().where(Customer.id.in_(ids)))
        return {customer.id: customer for customer in customers}
