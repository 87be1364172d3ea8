"""Queries on products; every one scoped by company."""

import functools
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    String,
    Table,
    bindparam,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from kit.pagination import decode_cursor, keyset_page, page_of
from kit.repository import LIKE_ESCAPE, TenantRepository, substring_pattern
from services.catalog.models import PriceOverride, Product, ProductStatus, Tenant

# SKUs looked up per query in an import; both PostgreSQL and SQLite take far more bound values than this.
SKU_LOOKUP_BATCH = 10_000
EXPORT_BATCH = 1_000


def sku_key(sku: str) -> str:
    """What SKU uniqueness compares: the SKU without its letter case."""
    return sku.lower()


@dataclass(frozen=True)
class ProductFilters:
    # A substring of the SKU or the name, in any letter case.
    query: str | None = None
    status: ProductStatus | None = None
    category: str | None = None


# What a storefront product card shows.
STOREFRONT_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Product.description,
    Product.unit_of_sale,
    Product.category,
    Product.image_url,
    Product.unit_price,
)


def _search(pattern: str | BindParameter[str]) -> ColumnElement[bool]:
    """SKU or name contains the pattern (see `substring_pattern`), in any letter case."""
    return or_(Product.sku.ilike(pattern, escape=LIKE_ESCAPE), Product.name.ilike(pattern, escape=LIKE_ESCAPE))


@functools.cache
def _storefront_page(*, search: bool, by_category: bool, after: bool) -> Select[*tuple[Any, ...]]:
    """The storefront's page query for one combination of filters, built once (building and hashing a
    statement costs more than running it): one query, no ORM objects, for the storefront's hottest path.

    Bound values: company_id, customer_id (None for a guest), limit, and as the flags say pattern,
    category, and the cursor's after_name and after_id.
    """
    custom_price = (
        select(PriceOverride.unit_price)
        .where(
            PriceOverride.company_id == bindparam("company_id"),
            PriceOverride.customer_id == bindparam("customer_id", type_=PriceOverride.customer_id.type),
            PriceOverride.product_id == Product.id,
        )
        .scalar_subquery()
    )
    statement = (
        select(*STOREFRONT_COLUMNS, custom_price.label("custom_price"), Tenant.currency, Tenant.show_prices_to_guests)
        .join(Tenant, Tenant.company_id == Product.company_id)
        .where(Product.company_id == bindparam("company_id"), Product.status == ProductStatus.ACTIVE)
    )
    if search:
        statement = statement.where(_search(bindparam("pattern", type_=String())))
    if by_category:
        statement = statement.where(Product.category == bindparam("category"))
    if after:
        # A row-value comparison, so the (company_id, status, name, id) index serves it as one range scan.
        after_position = tuple_(
            bindparam("after_name", type_=Product.name.type), bindparam("after_id", type_=Product.id.type)
        )
        statement = statement.where(tuple_(Product.name, Product.id) > after_position)
    return statement.order_by(Product.name, Product.id).limit(bindparam("limit"))


class ProductRepository(TenantRepository[Product]):
    model = Product

    def _matching(self, statement: Select[Product], filters: ProductFilters) -> Select[Product]:
        if filters.query:
            statement = statement.where(_search(substring_pattern(filters.query)))
        if filters.status is not None:
            statement = statement.where(Product.status == filters.status)
        if filters.category is not None:
            statement = statement.where(Product.category == filters.category)
        return statement

    async def page(
        self, filters: ProductFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Product], str | None]:
        """Newest first."""
        return await keyset_page(
            self.session,
            self._matching(self.statement(), filters),
            sort_column=Product.created_at,
            id_column=Product.id,
            limit=limit,
            cursor=cursor,
        )

    async def active_page(
        self,
        *,
        query: str | None,
        category: str | None,
        customer_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Row[Any]], str | None]:
        """ACTIVE products only, by name then id (the storefront's order), as rows of the columns the
        storefront shows plus `custom_price` (the customer's own price, if it has one) and the tenant's
        `currency` and `show_prices_to_guests`. An empty page says nothing of the tenant."""
        values: dict[str, Any] = {"company_id": self.company_id, "limit": limit + 1, "customer_id": customer_id}
        if query:
            values["pattern"] = substring_pattern(query)
        if category is not None:
            values["category"] = category
        if cursor:
            values["after_name"], values["after_id"] = decode_cursor(cursor, sort_is_datetime=False)
        statement = _storefront_page(
            search="pattern" in values, by_category=category is not None, after="after_name" in values
        )
        rows = list((await self.session.execute(statement, values)).all())
        return page_of(rows, limit, sort_key="name", id_key="id")

    async def get_active(self, product_id: uuid.UUID) -> Product | None:
        product: Product | None = await self.session.scalar(
            self.statement().where(Product.id == product_id, Product.status == ProductStatus.ACTIVE)
        )
        return product

    async def by_ids(self, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Product]:
        ids = list(set(product_ids))
        if not ids:
            return {}
        products = await self.session.scalars(self.statement().where(Product.id.in_(ids)))
        return {product.id: product for product in products}

    async def sku_taken(self, sku: str, *, other_than: uuid.UUID | None = None) -> bool:
        statement = self.statement().where(Product.sku_key == sku_key(sku))
        if other_than is not None:
            statement = statement.where(Product.id != other_than)
        return await self.session.scalar(statement.with_only_columns(Product.id).limit(1)) is not None

    async def count_active(self) -> int:
        return await self.count(Product.status == ProductStatus.ACTIVE)

    async def active_categories(self) -> list[str]:
        """Distinct categories of ACTIVE products, sorted."""
        statement = (
            self.statement()
            .where(Product.status == ProductStatus.ACTIVE, Product.category.is_not(None))
            .with_only_columns(Product.category)
            .distinct()
            .order_by(Product.category)
        )
        return [category for category in (await self.session.scalars(statement)).all() if category is not None]

    async def by_sku_keys(self, keys: Sequence[str]) -> dict[str, Product]:
        """The products with these SKU keys, by key: one query per 10,000 SKUs."""
        found: dict[str, Product] = {}
        for start in range(0, len(keys), SKU_LOOKUP_BATCH):
            batch = keys[start : start + SKU_LOOKUP_BATCH]
            products = await self.session.scalars(self.statement().where(Product.sku_key.in_(batch)))
            found.update((product.sku_key, product) for product in products)
        return found

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert products given as column values (each with its id and this company's id) in batches."""
        if any(row["company_id"] != self.company_id for row in rows):
            raise ValueError("row belongs to another company")
        if rows:
            await self.session.execute(insert(Product), list(rows))

    async def update_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Update products of this company by id, one statement run for every row (executemany).

        Each row holds `product_id` and the columns to set (the same ones in every row); a row of another
        company matches nothing.
        """
        if not rows:
            return
        table = Product.__table__
        assert isinstance(table, Table)
        # No explicit SET: it follows the rows' keys, the same for every row.
        statement = update(table).where(table.c.id == bindparam("product_id"), table.c.company_id == self.company_id)
        await self.session.execute(statement, list(rows))

    async def stream_for_export(self) -> AsyncIterator[Product]:
        """Every product of the company by SKU, fetched in batches rather than all at once."""
        statement = self.statement().order_by(Product.sku_key, Product.id).execution_options(yield_per=EXPORT_BATCH)
        async for product in await self.session.stream_scalars(statement):
            yield product
