"""Price override rules: one per customer and product, both the company's own; set, change, remove."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.catalog import PriceOverrideSet
from kit.access import require_staff_or_key
from kit.context import RequestContext
from kit.db import new_id, utcnow
from kit.errors import Conflict, NotFound
from kit.outbox import emit, emit_many
from kit.pagination import Page
from kit.repository import found
from services.catalog.customers.repository import CustomerRepository
from services.catalog.models import PriceOverride
from services.catalog.price_overrides.events import price_override_entity, price_override_removals
from services.catalog.price_overrides.repository import PriceOverrideRepository
from services.catalog.price_overrides.schemas import PriceOverrideCreate, PriceOverrideRead, PriceOverrideUpdate
from services.catalog.products.repository import ProductRepository
from services.catalog.tenants.service import check_currency, get_tenant

PATH = "/api/v1/price-overrides"


def _already_set(override_id: uuid.UUID | None) -> Conflict:
    if override_id is None:
        # Removed again between our insert and our look: the pair was taken all the same.
        return Conflict(
            f"This customer already has its own price for this product; change it with PATCH {PATH}/{{id}}."
        )
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
    """One statement checks everything the override refers to, one inserts it (the unique pair decides a
    duplicate), one records its event; the answer is built from what they read and wrote."""
    company_id = require_staff_or_key(context, "catalog:write")
    repository = PriceOverrideRepository(session, company_id)
    references = await repository.references(request.customer_id, request.product_id)
    if references is None:
        raise await _missing_reference(session, company_id, request)
    check_currency(request.currency, references.currency)
    now = utcnow()
    values = {
        "id": new_id(),
        "company_id": company_id,
        "customer_id": request.customer_id,
        "product_id": request.product_id,
        "unit_price": request.unit_price,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    if not await repository.insert_unless_pair_taken(values):
        raise _already_set(await repository.id_for_pair(request.customer_id, request.product_id))
    override = PriceOverride(**values)
    await _emit_set(session, override, references.currency, context)
    return PriceOverrideRead(
        id=override.id,
        customer_id=override.customer_id,
        product_id=override.product_id,
        unit_price=override.unit_price,
        currency=references.currency,
        product_sku=references.product_sku,
        product_name=references.product_name,
        list_price=references.list_price,
        customer_name=references.customer_name,
        created_at=now,
        updated_at=now,
    )


async def _missing_reference(session: AsyncSession, company_id: uuid.UUID, request: PriceOverrideCreate) -> Exception:
    """Why a new override's references were not all found, in the order the checks have always answered:
    the tenant (503), the currency, the customer, then the product. Another company's customer or product
    reads as unknown, exactly like one that never existed."""
    tenant = await get_tenant(session, company_id)
    check_currency(request.currency, tenant.currency)
    if await CustomerRepository(session, company_id).get_live(request.customer_id) is None:
        return NotFound("Customer not found.")
    return NotFound("Product not found.")


async def change_override(
    session: AsyncSession, override_id: uuid.UUID, request: PriceOverrideUpdate, *, context: RequestContext
) -> PriceOverrideRead:
    company_id = require_staff_or_key(context, "catalog:write")
    tenant = await get_tenant(session, company_id)
    check_currency(request.currency, tenant.currency)
    repository = PriceOverrideRepository(session, company_id)
    # Changed and its version raised in one statement, which holds the row until commit.
    override = await repository.change_price(override_id, request.unit_price, utcnow())
    if override is None:
        # No such override, or it already has this price: nothing changes, nothing is raised.
        override = await repository.get_or_404(override_id, "Price override")
    else:
        await _emit_set(session, override, tenant.currency, context)
    return (await _reads(session, company_id, [override], tenant.currency))[0]


async def remove_override(session: AsyncSession, override_id: uuid.UUID, *, context: RequestContext) -> None:
    company_id = require_staff_or_key(context, "catalog:write")
    removed = found(await PriceOverrideRepository(session, company_id).delete_one(override_id), "Price override")
    await emit_many(session, price_override_removals([removed]), company_id=company_id, context=context)


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
        entity=price_override_entity(override.id, override.version),
        context=context,
    )
