"""Queries on products; every one scoped by company."""

import dataclasses
import functools
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Insert,
    Integer,
    Row,
    Select,
    String,
    Table,
    Update,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import decode_cursor, keyset_page, page_of
from kit.repository import (
    COMPANY,
    LIKE_ESCAPE,
    TenantReader,
    TenantRepository,
    company_parameter,
    in_company,
    scoped_delete,
    scoped_select,
    scoped_update,
    substring_pattern,
)
from services.catalog.models import PriceOverride, Product, ProductCounter, ProductStatus, Tenant

# SKUs looked up per query in an import; both PostgreSQL and SQLite take far more bound values than this.
SKU_LOOKUP_BATCH = 10_000
EXPORT_BATCH = 1_000


def sku_key(sku: str) -> str:
    """What SKU uniqueness compares: the SKU without its letter case."""
    return sku.lower()


PRODUCTS = cast(Table, Product.__table__)
COUNTERS = cast(Table, ProductCounter.__table__)
TENANTS = cast(Table, Tenant.__table__)


@dataclass(frozen=True, slots=True)
class ProductValues:
    """A product's columns, as read or about to be written by Core statements: lighter than ORM objects on the
    hot writes and by the thousand in an import."""

    id: uuid.UUID
    company_id: uuid.UUID
    sku: str
    name: str
    description: str | None
    unit_price: Decimal
    unit_of_sale: str
    status: ProductStatus
    category: str | None
    image_url: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def sku_key(self) -> str:
        return sku_key(self.sku)

    @classmethod
    def of_row(cls, row: Any) -> "ProductValues":
        return cls(**{field.name: row[field.name] for field in dataclasses.fields(cls)})

    def columns(self) -> dict[str, Any]:
        """Every column's value, for an INSERT."""
        return dataclasses.asdict(self) | {"sku_key": self.sku_key}

    def changed_columns(self) -> dict[str, Any]:
        """The values a change may write, by `product_id`, for `ProductRepository.write`."""
        kept = ("id", "company_id", "created_at")
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self) if field.name not in kept}
        return {"product_id": self.id, "sku_key": self.sku_key, **values}


@dataclass(frozen=True, slots=True)
class ActiveCount:
    """The company's ACTIVE products and that count's version, as a change left them (locked until commit)."""

    active_products: int
    version: int


@dataclass(frozen=True, slots=True)
class CountChange(ActiveCount):
    # The company's currency, read by the same statement.
    currency: str


@dataclass(frozen=True, slots=True)
class LockedCount(ActiveCount):
    # The plan's limit and the company's currency, read by the same statement.
    max_products: int | None
    currency: str


# A product with the company's currency, locked until commit: what every change of it reads first.
_LOCK_PRODUCT = (
    scoped_select(PRODUCTS, *PRODUCTS.c, TENANTS.c.currency)
    .join(TENANTS, TENANTS.c.company_id == PRODUCTS.c.company_id)
    .where(PRODUCTS.c.id == bindparam("product_id"))
    .with_for_update(of=PRODUCTS)
)

# No explicit SET: it follows the keys of the values given (other than the two named in WHERE).
_UPDATE_BY_ID = scoped_update(PRODUCTS).where(PRODUCTS.c.id == bindparam("product_id"))

_DELETE_PRODUCT = scoped_delete(PRODUCTS).where(PRODUCTS.c.id == bindparam("product_id"))


@functools.cache
def _insert_unless_sku_taken(dialect: str) -> Insert:
    insert = postgresql.insert(PRODUCTS) if dialect == "postgresql" else sqlite.insert(PRODUCTS)
    # The unique (company, SKU key) constraint decides: no pre-check to race with.
    return insert.on_conflict_do_nothing(index_elements=["company_id", "sku_key"]).returning(PRODUCTS.c.id)


# The counter statements. Every change of the count takes the counter row first and products after, so
# two of them never wait on each other crosswise.
_DELTA = bindparam("delta", type_=Integer())
_MAX_PRODUCTS = scoped_select(TENANTS, TENANTS.c.max_products).scalar_subquery()
_CURRENCY = scoped_select(TENANTS, TENANTS.c.currency).scalar_subquery()


def _change_count(*, within_limit: bool) -> Update:
    statement = scoped_update(COUNTERS).values(
        active_products=COUNTERS.c.active_products + _DELTA, version=COUNTERS.c.version + 1
    )
    if within_limit:
        statement = statement.where(or_(_MAX_PRODUCTS.is_(None), COUNTERS.c.active_products + _DELTA <= _MAX_PRODUCTS))
    return statement.returning(COUNTERS.c.active_products, COUNTERS.c.version, _CURRENCY)


_ADD_WITHIN_LIMIT = _change_count(within_limit=True)
_CHANGE_COUNT = _change_count(within_limit=False)

_LOCK_COUNT = scoped_select(
    COUNTERS, COUNTERS.c.active_products, COUNTERS.c.version, _MAX_PRODUCTS, _CURRENCY
).with_for_update(of=COUNTERS)

_SAVE_COUNT = scoped_update(COUNTERS).values(
    active_products=bindparam("new_active_products"), version=bindparam("new_version")
)

_ACTIVE_COUNT = scoped_select(COUNTERS, COUNTERS.c.active_products)


@functools.cache
def _start_count(dialect: str) -> Insert:
    """The company's counter row, from one count of its ACTIVE products; nothing if another made it first."""
    insert = postgresql.insert(COUNTERS) if dialect == "postgresql" else sqlite.insert(COUNTERS)
    counted = scoped_select(PRODUCTS, company_parameter(PRODUCTS), func.count(), literal(0)).where(
        PRODUCTS.c.status == ProductStatus.ACTIVE
    )
    return insert.from_select(["company_id", "active_products", "version"], counted).on_conflict_do_nothing(
        index_elements=["company_id"]
    )


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

    Bound values: COMPANY, customer_id (None for a guest), limit, and as the flags say pattern,
    category, and the cursor's after_name and after_id.
    """
    custom_price = (
        select(PriceOverride.unit_price)
        .where(
            in_company(PriceOverride),
            PriceOverride.customer_id == bindparam("customer_id", type_=PriceOverride.customer_id.type),
            PriceOverride.product_id == Product.id,
        )
        .scalar_subquery()
    )
    statement = (
        scoped_select(
            Product,
            *STOREFRONT_COLUMNS,
            custom_price.label("custom_price"),
            Tenant.currency,
            Tenant.show_prices_to_guests,
        )
        .join(Tenant, Tenant.company_id == Product.company_id)
        .where(Product.status == ProductStatus.ACTIVE)
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


class ProductReader(TenantReader[Product]):
    """The reads of the storefront's catalog, on a read-only session."""

    model = Product

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
        values: dict[str, Any] = {COMPANY: self.company_id, "limit": limit + 1, "customer_id": customer_id}
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


class ProductRepository(TenantRepository[Product], ProductReader):
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

    async def by_ids(self, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Product]:
        ids = list(set(product_ids))
        if not ids:
            return {}
        products = await self.session.scalars(self.statement().where(Product.id.in_(ids)))
        return {product.id: product for product in products}

    async def count_active(self) -> int:
        """Counted, for a company whose counter row does not exist yet; `active_count` otherwise."""
        return await self.count(Product.status == ProductStatus.ACTIVE)

    async def lock_by_sku_keys(self, keys: Sequence[str]) -> dict[str, ProductValues]:
        """The products with these SKU keys, by key, locked until commit: one query per 10,000 SKUs."""
        found: dict[str, ProductValues] = {}
        for start in range(0, len(keys), SKU_LOOKUP_BATCH):
            batch = keys[start : start + SKU_LOOKUP_BATCH]
            statement = (
                scoped_select(PRODUCTS).where(PRODUCTS.c.sku_key.in_(batch)).order_by(PRODUCTS.c.id).with_for_update()
            )
            rows = (await self.session.execute(statement, {COMPANY: self.company_id})).mappings()
            found.update((row["sku_key"], ProductValues.of_row(row)) for row in rows)
        return found

    async def lock(self, product_id: uuid.UUID) -> tuple[ProductValues, str] | None:
        """The product and the company's currency; the product is locked until commit."""
        values = {"product_id": product_id, COMPANY: self.company_id}
        row = (await self.session.execute(_LOCK_PRODUCT, values)).mappings().first()
        return (ProductValues.of_row(row), row["currency"]) if row is not None else None

    async def insert_unless_sku_taken(self, product: ProductValues) -> bool:
        """Insert the product; False when the company already has its SKU (in any letter case)."""
        self._own(product)
        dialect = self.session.get_bind().dialect.name
        result = await self.session.execute(_insert_unless_sku_taken(dialect), product.columns())
        return result.first() is not None

    async def insert_many(self, products: Sequence[ProductValues]) -> None:
        """Insert products in one executemany."""
        for product in products:
            self._own(product)
        if products:
            await self.session.execute(insert(PRODUCTS), [product.columns() for product in products])

    async def write(self, product: ProductValues) -> None:
        """Write the product's values over its row (its SKU may clash: IntegrityError)."""
        await self.write_many([product])

    async def write_many(self, products: Sequence[ProductValues]) -> None:
        """Write products' values over their rows, one statement run for every product (executemany)."""
        for product in products:
            self._own(product)
        if products:
            rows = [product.changed_columns() | {COMPANY: self.company_id} for product in products]
            await self.session.execute(_UPDATE_BY_ID, rows)

    async def delete_by_id(self, product_id: uuid.UUID) -> None:
        await self.session.execute(_DELETE_PRODUCT, {"product_id": product_id, COMPANY: self.company_id})

    def _own(self, product: ProductValues) -> None:
        if product.company_id != self.company_id:
            raise ValueError("product belongs to another company")

    async def stream_for_export(self) -> AsyncIterator[Product]:
        """Every product of the company by SKU, fetched in batches rather than all at once."""
        statement = self.statement().order_by(Product.sku_key, Product.id).execution_options(yield_per=EXPORT_BATCH)
        async for product in await self.session.stream_scalars(statement):
            yield product


class ProductCounterRepository:
    """The company's counter of ACTIVE products (see `ProductCounter`); every statement scoped by company."""

    def __init__(self, session: AsyncSession, company_id: uuid.UUID) -> None:
        self.session = session
        self.company_id = company_id

    async def change(self, delta: int, *, within_limit: bool) -> CountChange | None:
        """Add `delta` to the count and 1 to its version, holding the row until commit; with `within_limit`,
        only if the count stays within the plan's maxProducts. None when the limit refused it, or when
        there is no counter row (yet)."""
        statement = _ADD_WITHIN_LIMIT if within_limit else _CHANGE_COUNT
        row = (await self.session.execute(statement, {COMPANY: self.company_id, "delta": delta})).first()
        return CountChange(*row) if row is not None else None

    async def lock(self) -> LockedCount | None:
        """The count, its version, the plan's maxProducts and the currency, holding the row until commit; None
        without a row."""
        row = (await self.session.execute(_LOCK_COUNT, {COMPANY: self.company_id})).first()
        return LockedCount(*row) if row is not None else None

    async def save(self, count: ActiveCount) -> None:
        """Store a count (and version) worked out under `lock`."""
        values = {
            COMPANY: self.company_id,
            "new_active_products": count.active_products,
            "new_version": count.version,
        }
        await self.session.execute(_SAVE_COUNT, values)

    async def active(self) -> int | None:
        active: int | None = await self.session.scalar(_ACTIVE_COUNT, {COMPANY: self.company_id})
        return active

    async def start(self) -> None:
        """Make the counter row from one count of the company's ACTIVE products, unless it exists."""
        dialect = self.session.get_bind().dialect.name
        await self.session.execute(_start_count(dialect), {COMPANY: self.company_id})
