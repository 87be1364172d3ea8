"""Price override rules: one per customer and product, both the company's own; set, change, remove."""

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.access import require_staff_or_key
from kit.context import RequestContext
from kit.db import new_id
from kit.errors import Conflict
from kit.outbox import emit
from kit.pagination import Page
from kit.repository import found
from services.catalog.customers.repository import CustomerRepository
from services.catalog.models import PriceOverride
from services.catalog.price_overrides.events import (
    PriceOverrideRemoved,
    PriceOverrideSet,
    price_override_entity,
)
from services.catalog.price_overrides.repository import PriceOverrideRepository
from services.catalog.price_overrides.schemas import PriceOverrideCreate, PriceOverrideRead, PriceOverrideUpdate
from services.catalog.products.repository import ProductRepository
from services.catalog.tenants.service import check_currency, get_tenant

PATH = "/api/v1/price-overrides"


def _already_set(override_id: uuid.UUID) -> Conflict:
    return Conflict(
        "This customer already has its own price for this product "
        f"(price override {override_id}); change it with PATCH {PATH}/{override_id}."
    )


async def _reads(
    session: AsyncSession, company_id: uuid.UUID, overrides: Sequence[PriceOverride], currency: str
) -> list[PriceOverrideRead]:
    products = await ProductRepository(session, company_id).by_ids(o.product_id for o in overrides)
    customers = await CustomerRepository(session, company_id).by_ids(o.customer_id for o in overrides)
    return [
        PriceOverrideRead.of(
            override,
            product=products[override.product_id],
            customer=customers.get(override.customer_id),
            currency=currency,
        )
        for override in overrides
    ]


async def override_page(
    session: AsyncSession,
    context: RequestContext,
    *,
    customer_id: uuid.UUID | None,
    product_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[PriceOverrideRead]:
    company_id = require_staff_or_key(context, "catalog:read")
    tenant = await get_tenant(session, company_id)
    overrides, next_cursor = await PriceOverrideRepository(session, company_id).page(
        customer_id=customer_id, product_id=product_id, limit=limit, cursor=cursor
    )
    items = await _reads(session, company_id, overrides, tenant.currency)
    return Page[PriceOverrideRead](items=items, next_cursor=next_cursor)


async def staff_override(session: AsyncSession, context: RequestContext, override_id: uuid.UUID) -> PriceOverrideRead:
    company_id = require_staff_or_key(context, "catalog:read")
    tenant = await get_tenant(session, company_id)
    override = await PriceOverrideRepository(session, company_id).get_or_404(override_id, "Price override")
    return (await _reads(session, company_id, [override], tenant.currency))[0]


async def set_override(
    session: AsyncSession, request: PriceOverrideCreate, *, context: RequestContext
) -> PriceOverrideRead:
    company_id = require_staff_or_key(context, "catalog:write")
    tenant = await get_tenant(session, company_id)
    check_currency(request.currency, tenant)
    # Another company's customer or product reads as unknown, exactly like one that never existed.
    found(await CustomerRepository(session, company_id).get_live(request.customer_id), "Customer")
    found(await ProductRepository(session, company_id).get(request.product_id), "Product")
    repository = PriceOverrideRepository(session, company_id)
    existing = await repository.for_pair(request.customer_id, request.product_id)
    if existing is not None:
        raise _already_set(existing.id)
    override = repository.add(
        PriceOverride(
            id=new_id(),
            company_id=company_id,
            customer_id=request.customer_id,
            product_id=request.product_id,
            unit_price=request.unit_price,
        )
    )
    try:
        await session.flush()
    except IntegrityError as error:
        # Another request set a price for the pair between our check and our write.
        await session.rollback()
        raise Conflict(
            f"This customer already has its own price for this product; change it with PATCH {PATH}/{{id}}."
        ) from error
    await _emit_set(session, override, tenant.currency, context)
    return (await _reads(session, company_id, [override], tenant.currency))[0]


async def change_override(
    session: AsyncSession, override_id: uuid.UUID, request: PriceOverrideUpdate, *, context: RequestContext
) -> PriceOverrideRead:
    company_id = require_staff_or_key(context, "catalog:write")
    tenant = await get_tenant(session, company_id)
    check_currency(request.currency, tenant)
    override = await PriceOverrideRepository(session, company_id).get_or_404(override_id, "Price override")
    if override.unit_price != request.unit_price:
        override.unit_price = request.unit_price
        await session.flush()
        await _emit_set(session, override, tenant.currency, context)
    return (await _reads(session, company_id, [override], tenant.currency))[0]


async def remove_override(session: AsyncSession, override_id: uuid.UUID, *, context: RequestContext) -> None:
    company_id = require_staff_or_key(context, "catalog:write")
    repository = PriceOverrideRepository(session, company_id)
    override = await repository.get_or_404(override_id, "Price override")
    await repository.delete(override)
    await session.flush()
    await emit(
        session,
        PriceOverrideRemoved(id=override.id, customer_id=override.customer_id, product_id=override.product_id),
        company_id=company_id,
        entity=price_override_entity(override.id),
        context=context,
    )


async def _emit_set(session: AsyncSession, override: PriceOverride, currency: str, context: RequestContext) -> None:
    await emit(
        session,
        PriceOverrideSet(
            id=override.id,
            customer_id=override.customer_id,
            product_id=override.product_id,
            unit_price=override.unit_price,
            currency=currency,
        ),
        company_id=override.company_id,
        entity=price_override_entity(override.id),
        context=context,
    )
