"""Identity's view of usage it does not count itself: active products and this month's orders, as catalog's and
orders' events report them, the newest count by its version whatever order the events arrive in."""

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from contracts.catalog import CATALOG_ENTITY, PRODUCT_ENTITY, ProductCreated, ProductsImported, ProductStatus
from contracts.orders import ORDER_ENTITY, OrderPlaced, OrderStatus, PlacedBy
from kit.db import utcnow
from kit.events import Actor, EntityRef, Event, EventEnvelope
from services.identity.billing.usage import on_active_products_changed
from services.identity.models import Base, UsageCounter
from tests.identity.conftest import Identity
from tests.identity.people import statements
from tests.support.events import dead_lettered, publish_event, wait_for_consumer, wait_until, wait_until_processed


def _envelope(event: Event, company_id: str, entity: EntityRef) -> EventEnvelope:
    return EventEnvelope(
        type=event.event_type,
        version=event.event_version,
        company_id=uuid.UUID(company_id),
        actor=Actor(type="USER", id=uuid.uuid4()),
        entity=entity,
        data=event.model_dump(mode="json", by_alias=True),
    )


def product_created(company_id: str, active_products: int, count_version: int) -> EventEnvelope:
    """Catalog's ProductCreated (the contract's own JSON), carrying the company's active products after it."""
    product_id = uuid.uuid4()
    event = ProductCreated(
        id=product_id,
        sku=f"SKU-{count_version}",
        name="Bolt",
        description=None,
        unit_price=Decimal("1.50"),
        currency="USD",
        unit_of_sale="each",
        status=ProductStatus.ACTIVE,
        category=None,
        image_url=None,
        active_products=active_products,
        active_products_version=count_version,
    )
    return _envelope(event, company_id, EntityRef(type=PRODUCT_ENTITY, id=str(product_id), version=1))


def products_imported(company_id: str, active_products: int, count_version: int) -> EventEnvelope:
    event = ProductsImported(
        created=active_products, updated=0, active_products=active_products, active_products_version=count_version
    )
    return _envelope(event, company_id, EntityRef(type=CATALOG_ENTITY, id=company_id, version=count_version))


async def products_in_use(identity: Identity, account: dict[str, Any]) -> int:
    response = await identity.client.get("/api/v1/subscription", headers=identity.owner_of(account))
    assert response.status_code == 200, response.text
    products: int = response.json()["usage"]["products"]
    return products


async def usage_rows(identity: Identity, company_id: uuid.UUID | None) -> int:
    """Usage counters identity stored for the company, of any metric."""
    async with identity.database.sessionmaker() as session:
        statement = select(func.count()).select_from(UsageCounter).where(UsageCounter.company_id == company_id)
        return int(await session.scalar(statement) or 0)


async def _usage_is(identity: Identity, account: dict[str, Any], expected: int) -> bool:
    return await products_in_use(identity, account) == expected


async def test_catalogs_product_events_set_the_companys_product_usage(identity: Identity) -> None:
    account = await identity.signup()
    company_id = account["company"]["id"]
    await wait_for_consumer(identity.platform, "identity")
    assert await products_in_use(identity, account) == 0

    await publish_event(identity.platform, product_created(company_id, 1, 1))
    await publish_event(identity.platform, products_imported(company_id, 41, 2))

    await wait_until(lambda: _usage_is(identity, account, 41), what="usage.products to reach 41")


async def test_a_lower_count_version_arriving_late_does_not_move_usage_back(identity: Identity) -> None:
    account = await identity.signup()
    company_id = account["company"]["id"]
    await wait_for_consumer(identity.platform, "identity")
    await publish_event(identity.platform, product_created(company_id, 9, 6))
    await wait_until(lambda: _usage_is(identity, account, 9), what="usage.products to reach 9")

    late = product_created(company_id, 8, 5)
    await publish_event(identity.platform, late, late)
    await wait_until_processed(identity.database, Base.metadata, late)

    assert await products_in_use(identity, account) == 9


async def test_of_events_delivered_together_in_any_order_the_highest_version_wins(identity: Identity) -> None:
    account = await identity.signup()
    company_id = account["company"]["id"]
    await wait_for_consumer(identity.platform, "identity")
    counts = [product_created(company_id, count, version) for count, version in ((3, 3), (5, 5), (2, 2), (4, 4))]

    await publish_event(identity.platform, *counts)
    await wait_until_processed(identity.database, Base.metadata, *counts)

    assert await products_in_use(identity, account) == 5


async def test_events_of_a_company_identity_does_not_know_are_dropped(identity: Identity) -> None:
    account = await identity.signup()
    await wait_for_consumer(identity.platform, "identity")
    unknown = product_created(str(uuid.uuid4()), 3, 1)
    dead_before = await dead_lettered(identity.platform, "identity")

    await publish_event(identity.platform, unknown, product_created(account["company"]["id"], 2, 1))

    # The unknown company's event is consumed without effect (no error, no dead letter); ours with it.
    await wait_until(lambda: _usage_is(identity, account, 2), what="usage.products to reach 2")
    # Processed is recorded only with a handler's success: a failing one would be retried, then dead-lettered.
    await wait_until_processed(identity.database, Base.metadata, unknown)
    assert await dead_lettered(identity.platform, "identity") == dead_before
    assert await usage_rows(identity, unknown.company_id) == 0


async def test_a_batch_is_applied_in_one_statement_whatever_its_size(identity: Identity) -> None:
    accounts = [await identity.signup(), await identity.signup()]
    events = [product_created(account["company"]["id"], n, n) for n in range(1, 51) for account in accounts]

    async with identity.database.sessionmaker() as session:
        with statements(identity) as applied:
            await on_active_products_changed(session, events)
        await session.commit()

    # Which companies exist, then the newest count of each in one guarded upsert: not a statement per event.
    assert applied == ["SELECT companies", "INSERT usage_counters"]
    assert [await products_in_use(identity, account) for account in accounts] == [50, 50]


def order_placed(company_id: str, number: int, month: str, orders_this_month: int) -> EventEnvelope:
    """Orders' OrderPlaced (the contract's own JSON) for the company's `number`th order, in `month`."""
    order_id = uuid.uuid4()
    now = utcnow()
    event = OrderPlaced(
        id=order_id,
        number=f"SO-{number:06d}",
        status=OrderStatus.PENDING,
        customer_id=None,
        customer_name=None,
        placed_by=PlacedBy(type="USER", id=uuid.uuid4(), name="Ada"),
        items=[],
        currency="USD",
        subtotal=Decimal("0.00"),
        total=Decimal("0.00"),
        shipping_address=None,
        po_number=None,
        notes=None,
        requested_delivery_date=None,
        created_at=now,
        month=month,
        orders_this_month=orders_this_month,
        orders_this_month_version=number,
    )
    return _envelope(event, company_id, EntityRef(type=ORDER_ENTITY, id=str(order_id), version=1))


async def orders_this_month(identity: Identity, account: dict[str, Any]) -> int:
    response = await identity.client.get("/api/v1/subscription", headers=identity.owner_of(account))
    assert response.status_code == 200, response.text
    count: int = response.json()["usage"]["ordersThisMonth"]
    return count


async def test_orders_placed_this_month_set_the_companys_order_usage_newest_count_first(identity: Identity) -> None:
    account = await identity.signup()
    company_id = account["company"]["id"]
    await wait_for_consumer(identity.platform, "identity")
    this_month = f"{utcnow():%Y-%m}"
    # Last month's orders count toward last month only; of this month's, the highest number's count wins,
    # whatever order they arrive in.
    events = [
        order_placed(company_id, 7, "2020-01", 7),
        order_placed(company_id, 10, this_month, 3),
        order_placed(company_id, 9, this_month, 2),
    ]

    await publish_event(identity.platform, *events)
    await wait_until_processed(identity.database, Base.metadata, *events)

    assert await orders_this_month(identity, account) == 3
