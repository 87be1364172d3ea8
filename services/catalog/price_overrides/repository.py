"""Queries on price overrides; every one scoped by company.

The writes are single Core statements, built once: a price-override create is the hottest write of the
catalog, and building and compiling ORM statements costs several times more than running them.
"""

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite

from kit.pagination import keyset_page
from kit.repository import COMPANY, TenantReader, TenantRepository, scoped_delete, scoped_select, scoped_update
from services.catalog.models import Customer, PriceOverride, Product, Tenant

OVERRIDES = cast(Table, PriceOverride.__table__)
PRODUCTS = cast(Table, Product.__table__)
CUSTOMERS = cast(Table, Customer.__table__)
TENANTS = cast(Table, Tenant.__table__)

# What PriceOverrideRemoved needs of a deleted override.
_REMOVED_COLUMNS = (OVERRIDES.c.id, OVERRIDES.c.customer_id, OVERRIDES.c.product_id, OVERRIDES.c.version)


@dataclass(frozen=True, slots=True)
class RemovedOverride:
    id: uuid.UUID
    customer_id: uuid.UUID
    product_id: uuid.UUID
    # Its version when deleted; the removal event carries the next.
    version: int


@dataclass(frozen=True, slots=True)
class OverrideReferences:
    """What a new override refers to, as one statement found it: the tenant, a live customer, a product."""

    currency: str
    customer_name: str | None
    product_sku: str
    product_name: str
    list_price: Decimal


# The tenant, the live customer and the product of a new override, in one statement: a row only when all
# three exist in the company. The customer is share-locked until commit: its deletion (which removes its
# overrides) waits for this override to commit, or this override sees the deletion and is refused. The
# product needs no lock: the override's foreign key holds it, and deleting a product removes its overrides.
# Nor does the tenant: catalog learns a currency change from identity's events, in no order with this request.
_REFERENCES = (
    scoped_select(TENANTS, TENANTS.c.currency, CUSTOMERS.c.name, PRODUCTS.c.sku, PRODUCTS.c.name, PRODUCTS.c.unit_price)
    .select_from(TENANTS)
    .join(
        CUSTOMERS,
        (CUSTOMERS.c.company_id == TENANTS.c.company_id)
        & (CUSTOMERS.c.id == bindparam("customer_id"))
        & CUSTOMERS.c.deleted_at.is_(None),
    )
    .join(PRODUCTS, (PRODUCTS.c.company_id == TENANTS.c.company_id) & (PRODUCTS.c.id == bindparam("product_id")))
    .with_for_update(read=True, of=CUSTOMERS)
)

_PAIR_ID = scoped_select(OVERRIDES, OVERRIDES.c.id).where(
    OVERRIDES.c.customer_id == bindparam("customer_id"),
    OVERRIDES.c.product_id == bindparam("product_id"),
)

# A new price, +1 version; nothing when the price is already that (no change, no event).
_CHANGE_PRICE = (
    scoped_update(OVERRIDES)
    .where(
        OVERRIDES.c.id == bindparam("override_id"),
        OVERRIDES.c.unit_price != bindparam("new_price", type_=OVERRIDES.c.unit_price.type),
    )
    .values(
        unit_price=bindparam("new_price", type_=OVERRIDES.c.unit_price.type),
        version=OVERRIDES.c.version + 1,
        updated_at=bindparam("now", type_=OVERRIDES.c.updated_at.type),
    )
    .returning(*OVERRIDES.c)
)

_DELETE_ONE = scoped_delete(OVERRIDES).where(OVERRIDES.c.id == bindparam("override_id")).returning(*_REMOVED_COLUMNS)


@functools.cache
def _insert_unless_pair_taken(dialect: str) -> Insert:
    insert = postgresql.insert(OVERRIDES) if dialect == "postgresql" else sqlite.insert(OVERRIDES)
    # The unique (customer, product) constraint decides: no pre-check to race with.
    return insert.on_conflict_do_nothing(index_elements=["customer_id", "product_id"]).returning(OVERRIDES.c.id)


class PriceOverrideReader(TenantReader[PriceOverride]):
    """The reads of the storefront's prices, on a read-only session."""

    model = PriceOverride

    async def prices_for_customer(
        self, customer_id: uuid.UUID, product_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, Decimal]:
        """The customer's own price of each of these products that has one, by product id."""
        ids = list(set(product_ids))
        if not ids:
            return {}
        statement = (
            self.statement()
            .where(PriceOverride.customer_id == customer_id, PriceOverride.product_id.in_(ids))
            .with_only_columns(PriceOverride.product_id, PriceOverride.unit_price)
        )
        return {row.product_id: row.unit_price for row in await self.session.execute(statement)}


class PriceOverrideRepository(TenantRepository[PriceOverride], PriceOverrideReader):
    model = PriceOverride

    async def page(
        self, *, customer_id: uuid.UUID | None, product_id: uuid.UUID | None, limit: int, cursor: str | None
    ) -> tuple[list[PriceOverride], str | None]:
        """Newest first, optionally of one customer and/or one product."""
        statement = self.statement()
        if customer_id is not None:
            statement = statement.where(PriceOverride.customer_id == customer_id)
        if product_id is not None:
            statement = statement.where(PriceOverride.product_id == product_id)
        return await keyset_page(
            self.session,
            statement,
            sort_column=PriceOverride.created_at,
            id_column=PriceOverride.id,
            limit=limit,
            cursor=cursor,
        )

    async def references(self, customer_id: uuid.UUID, product_id: uuid.UUID) -> OverrideReferences | None:
        """The tenant, live customer and product a new override of this pair refers to; None if any is missing."""
        values = {COMPANY: self.company_id, "customer_id": customer_id, "product_id": product_id}
        row = (await self.session.execute(_REFERENCES, values)).first()
        return OverrideReferences(*row) if row is not None else None

    async def insert_unless_pair_taken(self, values: dict[str, Any]) -> bool:
        """Insert the override (column values, this company's); False when its customer already has a price
        for its product."""
        if values["company_id"] != self.company_id:
            raise ValueError("row belongs to another company")
        dialect = self.session.get_bind().dialect.name
        return (await self.session.execute(_insert_unless_pair_taken(dialect), values)).first() is not None

    async def id_for_pair(self, customer_id: uuid.UUID, product_id: uuid.UUID) -> uuid.UUID | None:
        values = {COMPANY: self.company_id, "customer_id": customer_id, "product_id": product_id}
        override_id: uuid.UUID | None = await self.session.scalar(_PAIR_ID, values)
        return override_id

    async def change_price(self, override_id: uuid.UUID, unit_price: Decimal, now: datetime) -> PriceOverride | None:
        """Set a new price (+1 version) and return the override as written, as an object outside the session;
        None when there is no such override or it already has this price."""
        values = {"override_id": override_id, COMPANY: self.company_id, "new_price": unit_price, "now": now}
        row = (await self.session.execute(_CHANGE_PRICE, values)).mappings().first()
        return PriceOverride(**row) if row is not None else None

    async def delete_one(self, override_id: uuid.UUID) -> RemovedOverride | None:
        values = {"override_id": override_id, COMPANY: self.company_id}
        row = (await self.session.execute(_DELETE_ONE, values)).first()
        return RemovedOverride(*row) if row is not None else None

    async def delete_for_product(self, product_id: uuid.UUID) -> list[RemovedOverride]:
        """Delete the product's overrides, returning them by id."""
        return await self._delete_where(OVERRIDES.c.product_id == product_id)

    async def delete_for_customer(self, customer_id: uuid.UUID) -> list[RemovedOverride]:
        """Delete the customer's overrides, returning them by id."""
        return await self._delete_where(OVERRIDES.c.customer_id == customer_id)

    async def _delete_where(self, condition: Any) -> list[RemovedOverride]:
        statement = scoped_delete(OVERRIDES).where(condition).returning(*_REMOVED_COLUMNS)
        removed = [RemovedOverride(*row) for row in await self.session.execute(statement, {COMPANY: self.company_id})]
        return sorted(removed, key=lambda override: override.id)
