"""Queries on price overrides; every one scoped by company."""

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import delete

from kit.pagination import keyset_page
from kit.repository import TenantRepository
from services.catalog.models import PriceOverride


class PriceOverrideRepository(TenantRepository[PriceOverride]):
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

    async def for_pair(self, customer_id: uuid.UUID, product_id: uuid.UUID) -> PriceOverride | None:
        override: PriceOverride | None = await self.session.scalar(
            self.statement().where(PriceOverride.customer_id == customer_id, PriceOverride.product_id == product_id)
        )
        return override

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

    async def for_product(self, product_id: uuid.UUID) -> Sequence[PriceOverride]:
        statement = self.statement().where(PriceOverride.product_id == product_id).order_by(PriceOverride.id)
        return (await self.session.scalars(statement)).all()

    async def for_customer(self, customer_id: uuid.UUID) -> Sequence[PriceOverride]:
        statement = self.statement().where(PriceOverride.customer_id == customer_id).order_by(PriceOverride.id)
        return (await self.session.scalars(statement)).all()

    async def delete_for_product(self, product_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(PriceOverride)
            .where(PriceOverride.company_id == self.company_id, PriceOverride.product_id == product_id)
            .execution_options(synchronize_session=False)
        )

    async def delete_for_customer(self, customer_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(PriceOverride)
            .where(PriceOverride.company_id == self.company_id, PriceOverride.customer_id == customer_id)
            .execution_options(synchronize_session=False)
        )
