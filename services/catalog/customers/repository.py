"""Queries on catalog's customer rows; every one scoped by company."""

import uuid
from collections.abc import Iterable

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

    async def by_ids(self, customer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Customer]:
        ids = list(set(customer_ids))
        if not ids:
            return {}
        customers = await self.session.scalars(self.statement().where(Customer.id.in_(ids)))
        return {customer.id: customer for customer in customers}
