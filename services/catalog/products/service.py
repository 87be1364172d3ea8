"""Product rules: who may manage the catalog, unique SKUs per company, maxProducts, archive and delete."""

import uuid
from collections.abc import AsyncIterator, Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.access import require_staff_or_key
from kit.context import RequestContext
from kit.db import Database, new_id
from kit.errors import Conflict, PlanLimitReached
from kit.events import Event
from kit.outbox import emit, emit_many
from kit.pagination import Page
from kit.repository import found
from services.catalog.models import Product, ProductStatus, Tenant
from services.catalog.price_overrides.events import price_override_removals
from services.catalog.price_overrides.repository import PriceOverrideRepository
from services.catalog.products.csv_format import COLUMNS, csv_lines, product_cells
from services.catalog.products.events import (
    ProductArchived,
    ProductCreated,
    ProductDeleted,
    ProductRestored,
    ProductUpdated,
    product_entity,
)
from services.catalog.products.repository import ProductFilters, ProductRepository, sku_key
from services.catalog.products.schemas import ProductCreate, ProductRead, ProductUpdate
from services.catalog.tenants.service import check_currency, get_tenant, lock_tenant, plan_name

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


async def _ensure_room_for_one_more(repository: ProductRepository, tenant: Tenant) -> None:
    """Refuse to add an ACTIVE product at the limit; the caller holds the tenant lock, so the count stands."""
    if tenant.max_products is not None and await repository.count_active() >= tenant.max_products:
        raise product_limit_reached(tenant)


async def _flush_unless_sku_taken(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as error:
        # Another request took the SKU between our check and our write.
        await session.rollback()
        raise sku_taken() from error


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
    company_id = require_staff_or_key(context, "catalog:write")
    tenant = await lock_tenant(session, company_id)
    check_currency(request.currency, tenant)
    repository = ProductRepository(session, company_id)
    if await repository.sku_taken(request.sku):
        raise sku_taken()
    # Only ACTIVE products count toward maxProducts: adding an archived one is always allowed.
    if request.status is ProductStatus.ACTIVE:
        await _ensure_room_for_one_more(repository, tenant)
    product = repository.add(
        Product(
            id=new_id(),
            company_id=company_id,
            sku=request.sku,
            sku_key=sku_key(request.sku),
            name=request.name,
            description=request.description,
            unit_price=request.unit_price,
            unit_of_sale=request.unit_of_sale,
            status=request.status,
            category=request.category,
            image_url=request.image_url,
        )
    )
    await _flush_unless_sku_taken(session)
    active = await repository.count_active()
    await emit(
        session,
        ProductCreated.of(product, tenant.currency, active_products=active),
        company_id=company_id,
        entity=product_entity(product.id),
        context=context,
    )
    return ProductRead.of(product, tenant.currency)


async def update_product(
    session: AsyncSession, product_id: uuid.UUID, request: ProductUpdate, *, context: RequestContext
) -> ProductRead:
    company_id = require_staff_or_key(context, "catalog:write")
    tenant = await lock_tenant(session, company_id)
    check_currency(request.currency, tenant)
    repository = ProductRepository(session, company_id)
    product = await repository.get_or_404(product_id, "Product")

    values = {
        field: getattr(request, field)
        for field in CHANGE_NAMES
        if field in request.model_fields_set and (getattr(request, field) is not None or field in CLEARABLE)
    }
    changes = [CHANGE_NAMES[field] for field, value in values.items() if getattr(product, field) != value]
    if "sku" in changes and await repository.sku_taken(values["sku"], other_than=product.id):
        raise sku_taken()
    status_changed = request.status is not None and request.status is not product.status
    if status_changed and request.status is ProductStatus.ACTIVE:
        await _ensure_room_for_one_more(repository, tenant)
    if not changes and not status_changed:
        return ProductRead.of(product, tenant.currency)

    for field, value in values.items():
        setattr(product, field, value)
    product.sku_key = sku_key(product.sku)
    if status_changed and request.status is not None:
        product.status = request.status
    await _flush_unless_sku_taken(session)
    # Both events carry the product as it now is.
    events: list[Event] = []
    if changes:
        events.append(ProductUpdated.of(product, tenant.currency, changes=changes))
    if status_changed:
        events.append(await _status_event(repository, product, tenant))
    await emit_many(
        session, [(event, product_entity(product.id)) for event in events], company_id=company_id, context=context
    )
    return ProductRead.of(product, tenant.currency)


async def _status_event(repository: ProductRepository, product: Product, tenant: Tenant) -> Event:
    """ProductArchived or ProductRestored for the product's new (flushed) status, with the active count after it."""
    active = await repository.count_active()
    if product.status is ProductStatus.ACTIVE:
        return ProductRestored.of(product, tenant.currency, active_products=active)
    return ProductArchived.of(product, tenant.currency, active_products=active)


async def set_status(
    session: AsyncSession, product_id: uuid.UUID, status: ProductStatus, *, context: RequestContext
) -> ProductRead:
    """Archive (frees a maxProducts slot) or restore (takes one) a product; already so, nothing changes."""
    company_id = require_staff_or_key(context, "catalog:write")
    tenant = await lock_tenant(session, company_id)
    repository = ProductRepository(session, company_id)
    product = await repository.get_or_404(product_id, "Product")
    if product.status is status:
        return ProductRead.of(product, tenant.currency)
    if status is ProductStatus.ACTIVE:
        await _ensure_room_for_one_more(repository, tenant)
    product.status = status
    await session.flush()
    await emit(
        session,
        await _status_event(repository, product, tenant),
        company_id=company_id,
        entity=product_entity(product.id),
        context=context,
    )
    return ProductRead.of(product, tenant.currency)


async def delete_product(session: AsyncSession, product_id: uuid.UUID, *, context: RequestContext) -> None:
    """Delete the product and its price overrides (each override raises PriceOverrideRemoved)."""
    company_id = require_staff_or_key(context, "catalog:write")
    await lock_tenant(session, company_id)
    repository = ProductRepository(session, company_id)
    product = found(await repository.get(product_id), "Product")
    overrides = PriceOverrideRepository(session, company_id)
    removed = await overrides.for_product(product.id)
    await overrides.delete_for_product(product.id)
    await repository.delete(product)
    await session.flush()
    active = await repository.count_active()
    await emit_many(
        session,
        [
            *price_override_removals(removed),
            (ProductDeleted(id=product.id, sku=product.sku, active_products=active), product_entity(product.id)),
        ],
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
