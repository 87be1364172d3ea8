"""Queries on catalog's customer rows: each company's own, and the read model's batched writes."""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import upsert_newer
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


async def apply_customer_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Customers as identity's events left them (each row its company's), kept only over an older version."""
    await upsert_newer(session, Customer, rows, key=["id"], version="version")
