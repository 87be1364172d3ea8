"""Product rules: who may manage the catalog, unique SKUs per company, maxProducts, archive and delete.

Every change of a product locks its row and raises its version with each event; every change of how many
ACTIVE products the company has goes through its counter row (`ProductCounter`), taken before any product
row, so the limit holds under concurrent requests without counting the catalog.
"""

import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.catalog import (
    ProductArchived,
    ProductCreated,
    ProductDeleted,
    ProductRestored,
    ProductSnapshot,
    ProductUpdated,
)
from kit.access import require_staff_or_key
from kit.context import RequestContext
from kit.db import Database, conflict_on_duplicate, new_id, utcnow
from kit.errors import Conflict, NotFound, PlanLimitReached
from kit.events import EntityRef, Event
from kit.outbox import emit, emit_many
from kit.pagination import Page
from kit.repository import found
from services.catalog.models import ProductStatus, Tenant
from services.catalog.price_overrides.events import price_override_removals
from services.catalog.price_overrides.repository import PriceOverrideRepository
from services.catalog.products.csv_format import COLUMNS, csv_lines, product_cells
from services.catalog.products.events import product_entity, product_event
from services.catalog.products.repository import (
    ActiveCount,
    CountChange,
    LockedCount,
    ProductCounterRepository,
    ProductFilters,
    ProductRepository,
    ProductValues,
)
from services.catalog.products.schemas import ProductCreate, ProductRead, ProductUpdate
from services.catalog.tenants.service import check_currency, get_tenant, plan_name

EXPORT_LINES_PER_CHUNK = 500
SKU_TAKEN = "A product with this SKU already exists (SKUs are compared without letter case)."
# Fields a PATCH may clear with null; the others keep their value when null.
CLEARABLE = ("description", "category", "image_url")
# Product fields as events name them in `changes`.
CHANGE_NAMES = {
    "sku": "sku",
    "name": "name",
    "description": "description",
    "unit_price": "unitPrice",
    "unit_of_sale": "unitOfSale",
    "category": "category",
    "image_url": "imageUrl",
}


def sku_taken() -> Conflict:
    return Conflict(SKU_TAKEN, errors=[{"field": "sku", "message": SKU_TAKEN}])


def product_limit_reached(tenant: Tenant, *, active_after: int | None = None) -> PlanLimitReached:
    assert tenant.max_products is not None
    would = f" This would make {active_after}." if active_after is not None else ""
    return PlanLimitReached(
        f"Your {plan_name(tenant)} plan allows {tenant.max_products} active products (maxProducts).{would} "
        "Archive products you no longer sell, or upgrade your plan in Billing to add more."
    )


async def change_active_count(
    session: AsyncSession, company_id: uuid.UUID, delta: int, *, sent_currency: str | None
) -> CountChange:
    """Add `delta` to the company's ACTIVE products (and 1 to the count's version) in one statement that holds
    the counter row until commit; adding past maxProducts is refused."""
    counter = ProductCounterRepository(session, company_id)
    change = await counter.change(delta, within_limit=delta > 0)
    if change is None:
        # Unknown tenant (503), a wrong currency (answered first, as always), the company's first count, or the limit.
        tenant = await get_tenant(session, company_id)
        check_currency(sent_currency, tenant.currency)
        await counter.start()
        change = await counter.change(delta, within_limit=delta > 0)
        if change is None:
            raise product_limit_reached(tenant)
    return change


async def lock_active_count(session: AsyncSession, company_id: uuid.UUID) -> LockedCount:
    """The company's ACTIVE products with the count's version, the plan limit and the currency; the counter row
    is held until commit. For changes that learn how the count moves only from the products they read."""
    counter = ProductCounterRepository(session, company_id)
    count = await counter.lock()
    if count is None:
        await get_tenant(session, company_id)
        await counter.start()
        count = await counter.lock()
        assert count is not None
    return count


async def count_after_status_change(
    session: AsyncSession, company_id: uuid.UUID, count: LockedCount, status: ProductStatus
) -> ActiveCount:
    """The count once one product has taken `status`: restoring one is refused at the plan's maxProducts."""
    if status is ProductStatus.ACTIVE:
        if count.max_products is not None and count.active_products >= count.max_products:
            raise product_limit_reached(await get_tenant(session, company_id))
        return ActiveCount(count.active_products + 1, count.version + 1)
    return ActiveCount(count.active_products - 1, count.version + 1)


def status_event(product: ProductValues, currency: str, count: ActiveCount) -> ProductSnapshot:
    """ProductArchived or ProductRestored for the product's new status, with the active count after it."""
    event_class = ProductRestored if product.status is ProductStatus.ACTIVE else ProductArchived
    return product_event(
        event_class, product, currency, active_products=count.active_products, active_products_version=count.version
    )


async def staff_product(session: AsyncSession, context: RequestContext, product_id: uuid.UUID) -> ProductRead:
    company_id = require_staff_or_key(context, "catalog:read")
    tenant = await get_tenant(session, company_id)
    product = await ProductRepository(session, company_id).get_or_404(product_id, "Product")
    return ProductRead.of(product, tenant.currency)


async def product_page(
    session: AsyncSession, context: RequestContext, filters: ProductFilters, *, limit: int, cursor: str | None
) -> Page[ProductRead]:
    company_id = require_staff_or_key(context, "catalog:read")
    tenant = await get_tenant(session, company_id)
    products, next_cursor = await ProductRepository(session, company_id).page(filters, limit=limit, cursor=cursor)
    return Page[ProductRead](items=[ProductRead.of(p, tenant.currency) for p in products], next_cursor=next_cursor)


async def create_product(session: AsyncSession, request: ProductCreate, *, context: RequestContext) -> ProductRead:
    """Three statements between BEGIN and COMMIT: the count (which also reads the currency and checks the
    limit), the product (the unique SKU decides a clash), its event; the answer is what was written."""
    company_id = require_staff_or_key(context, "catalog:write")
    # Only ACTIVE products count toward maxProducts: adding an archived one is always allowed.
    delta = 1 if request.status is ProductStatus.ACTIVE else 0
    count = await change_active_count(session, company_id, delta, sent_currency=request.currency)
    check_currency(request.currency, count.currency)
    now = utcnow()
    product = ProductValues(
        id=new_id(),
        company_id=company_id,
        sku=request.sku,
        name=request.name,
        description=request.description,
        unit_price=request.unit_price,
        unit_of_sale=request.unit_of_sale,
        status=request.status,
        category=request.category,
        image_url=request.image_url,
        created_at=now,
        updated_at=now,
        version=1,
    )
    if not await ProductRepository(session, company_id).insert_unless_sku_taken(product):
        raise sku_taken()
    event = product_event(
        ProductCreated,
        product,
        count.currency,
        active_products=count.active_products,
        active_products_version=count.version,
    )
    await emit(session, event, company_id=company_id, entity=product_entity(product.id, 1), context=context)
    return ProductRead.of(product, count.currency)


async def update_product(
    session: AsyncSession, product_id: uuid.UUID, request: ProductUpdate, *, context: RequestContext
) -> ProductRead:
    company_id = require_staff_or_key(context, "catalog:write")
    # A status change moves the count: the counter row is taken before the product, as every count change does.
    count = await lock_active_count(session, company_id) if request.status is not None else None
    repository = ProductRepository(session, company_id)
    locked = await repository.lock(product_id)
    if locked is None:
        tenant = await get_tenant(session, company_id)
        check_currency(request.currency, tenant.currency)
        raise NotFound("Product not found.")
    current, currency = locked
    check_currency(request.currency, currency)

    values = {
        field: getattr(request, field)
        for field in CHANGE_NAMES
        if field in request.model_fields_set and (getattr(request, field) is not None or field in CLEARABLE)
    }
    changes = [CHANGE_NAMES[field] for field, value in values.items() if getattr(current, field) != value]
    status = request.status if request.status is not None else current.status
    status_changed = status is not current.status
    if not changes and not status_changed:
        return ProductRead.of(current, currency)

    # One version per event, in the order they are raised; both carry the product as it now is.
    raised = (1 if changes else 0) + (1 if status_changed else 0)
    product = dataclasses.replace(
        current, **values, status=status, updated_at=utcnow(), version=current.version + raised
    )
    async with conflict_on_duplicate(session, sku_taken()):  # the new SKU may be another product's
        await repository.write(product)
    events: list[tuple[Event, EntityRef]] = []
    if changes:
        updated = product_event(ProductUpdated, product, currency, changes=changes)
        events.append((updated, product_entity(product.id, current.version + 1)))
    if status_changed:
        assert count is not None
        after = await count_after_status_change(session, company_id, count, status)
        await ProductCounterRepository(session, company_id).save(after)
        events.append((status_event(product, currency, after), product_entity(product.id, product.version)))
    await emit_many(session, events, company_id=company_id, context=context)
    return ProductRead.of(product, currency)


async def set_status(
    session: AsyncSession, product_id: uuid.UUID, status: ProductStatus, *, context: RequestContext
) -> ProductRead:
    """Archive (frees a maxProducts slot) or restore (takes one) a product; already so, nothing changes."""
    company_id = require_staff_or_key(context, "catalog:write")
    count = await lock_active_count(session, company_id)
    repository = ProductRepository(session, company_id)
    current, currency = found(await repository.lock(product_id), "Product")
    if current.status is status:
        return ProductRead.of(current, currency)
    after = await count_after_status_change(session, company_id, count, status)
    product = dataclasses.replace(current, status=status, updated_at=utcnow(), version=current.version + 1)
    await repository.write(product)
    await ProductCounterRepository(session, company_id).save(after)
    await emit(
        session,
        status_event(product, currency, after),
        company_id=company_id,
        entity=product_entity(product.id, product.version),
        context=context,
    )
    return ProductRead.of(product, currency)


async def delete_product(session: AsyncSession, product_id: uuid.UUID, *, context: RequestContext) -> None:
    """Delete the product and its price overrides (each override raises PriceOverrideRemoved)."""
    company_id = require_staff_or_key(context, "catalog:write")
    count = await lock_active_count(session, company_id)
    repository = ProductRepository(session, company_id)
    # Locked first: no override can be set for it between removing its overrides and removing it.
    product, _currency = found(await repository.lock(product_id), "Product")
    removed = await PriceOverrideRepository(session, company_id).delete_for_product(product.id)
    await repository.delete_by_id(product.id)
    was_active = product.status is ProductStatus.ACTIVE
    after = ActiveCount(count.active_products - was_active, count.version + 1)
    await ProductCounterRepository(session, company_id).save(after)
    deleted = ProductDeleted(
        id=product.id, sku=product.sku, active_products=after.active_products, active_products_version=after.version
    )
    await emit_many(
        session,
        [*price_override_removals(removed), (deleted, product_entity(product.id, product.version + 1))],
        company_id=company_id,
        context=context,
    )


async def authorize_export(session: AsyncSession, context: RequestContext) -> uuid.UUID:
    """The company whose catalog the caller may export; checked before the response starts streaming."""
    company_id = require_staff_or_key(context, "catalog:read")
    await get_tenant(session, company_id)
    return company_id


async def export_csv(database: Database, company_id: uuid.UUID) -> AsyncIterator[str]:
    """The catalog as CSV text, in chunks of lines, read in its own session while the response streams."""
    async with database.sessionmaker() as session:
        lines: list[Sequence[str]] = [COLUMNS]
        async for product in ProductRepository(session, company_id).stream_for_export():
            lines.append(product_cells(product))
            if len(lines) >= EXPORT_LINES_PER_CHUNK:
                yield csv_lines(lines)
                lines = []
        if lines:
            yield csv_lines(lines)
