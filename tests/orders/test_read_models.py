"""Orders keeps copies of catalog's products and price overrides and of identity's customers, addresses and
people from their events, via RabbitMQ: each entity at its newest version, deletions final; and prices
products, finds live customers and addresses, and names whoever acts from them."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from kit.context import Principal
from kit.db import ReadOnlySession, new_id, utcnow
from kit.events import EventEnvelope
from kit.settings import PlatformSettings
from services.orders.app import SPEC
from services.orders.catalog_copy.pricing import PricedProduct, price_products
from services.orders.directory.service import actor_name, customer_addresses, live_customer, order_address
from services.orders.models import OrderCounter, Person, PersonKind, Product
from services.orders.orders.repository import placement_reads
from services.orders.tenants.service import first_of_month
from tests.contracts.envelopes import (
    address_created,
    address_deleted,
    address_updated,
    api_key_created,
    api_key_revoked,
    company_created,
    contact_created,
    contact_removed,
    contact_role_changed,
    contact_updated,
    customer_created,
    customer_deleted,
    customer_updated,
    invite_accepted,
    price_override_removed,
    price_override_set,
    product_archived,
    product_created,
    product_deleted,
    product_restored,
    product_updated,
    trial_started,
    user_created,
)
from tests.support.events import publish_event, times_processed, wait_until, wait_until_processed
from tests.support.services import RunningService

T = TypeVar("T")

ADDRESS_FIELDS = {
    "label": None,
    "recipient": "Receiving dock",
    "line1": "1 Main St",
    "line2": None,
    "city": "Springfield",
    "region": "IL",
    "postalCode": "62701",
    "country": "US",
    "phone": "+1 217 555 0100",
}


async def applied(orders: RunningService, platform: PlatformSettings, *envelopes: EventEnvelope) -> None:
    """Publish the envelopes one at a time, in order, each processed before the next goes: the order of
    arrival is the test's to choose."""
    for envelope in envelopes:
        await publish_event(platform, envelope)
        await wait_until_processed(orders.database, SPEC.metadata, envelope)


async def read(orders: RunningService, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with orders.database.sessionmaker() as session:
        return await query(session)


async def live_address(
    session: ReadOnlySession, company_id: uuid.UUID, customer_id: uuid.UUID, address_id: uuid.UUID
) -> dict[str, Any] | None:
    """The address as a placement reads it: a live address of the live customer, as the order copies it."""
    reads = await placement_reads(session, company_id, customer_id=customer_id, address_id=address_id)
    return None if reads.address_fields is None else order_address(reads.address_fields)


async def prices(
    orders: RunningService, company_id: uuid.UUID, product_ids: list[uuid.UUID], customer_id: uuid.UUID | None
) -> dict[uuid.UUID, PricedProduct]:
    return await read(orders, lambda session: price_products(session, company_id, product_ids, customer_id))


async def stored_product(orders: RunningService, product_id: uuid.UUID) -> Product:
    async with orders.database.sessionmaker() as session:
        product = await session.get(Product, product_id)
    assert product is not None
    return product


async def name_of(orders: RunningService, company_id: uuid.UUID, principal: Principal) -> str | None:
    return await read(orders, lambda session: actor_name(session, company_id, principal))


# -- products and prices ----------------------------------------------------------------------------


async def test_products_are_priced_for_a_customer_from_its_override_else_the_list_price(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id, customer_id, other_customer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    bolt, nut, archived, unknown = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await applied(
        orders,
        platform,
        product_created(company_id, bolt, sku="BOLT-1", name="Bolt", unit_price="12.00", unit_of_sale="box"),
        product_created(company_id, nut, sku="NUT-1", name="Nut", unit_price="0.40"),
        product_created(company_id, archived, sku="OLD-1", name="Old part", unit_price="3.00"),
        product_archived(company_id, archived, sku="OLD-1", name="Old part", unit_price="3.00", version=2),
        price_override_set(company_id, uuid.uuid4(), customer_id=customer_id, product_id=bolt, unit_price="9.50"),
    )

    priced = await prices(orders, company_id, [bolt, nut, archived, unknown], customer_id)
    assert priced == {
        bolt: PricedProduct(bolt, "BOLT-1", "Bolt", "box", "USD", Decimal("12.00"), Decimal("9.50"), True),
        nut: PricedProduct(nut, "NUT-1", "Nut", "each", "USD", Decimal("0.40"), Decimal("0.40"), True),
        archived: PricedProduct(archived, "OLD-1", "Old part", "each", "USD", Decimal("3.00"), Decimal("3.00"), False),
    }
    # Another customer, and no customer at all, pay list prices.
    for buyer in (other_customer, None):
        assert {
            product.id: product.unit_price for product in (await prices(orders, company_id, [bolt], buyer)).values()
        } == {bolt: Decimal("12.00")}
    # Another company sees none of them.
    assert await prices(orders, uuid.uuid4(), [bolt, nut], customer_id) == {}
    assert await prices(orders, company_id, [], customer_id) == {}


async def test_a_product_follows_its_newest_version_whatever_the_order_of_arrival(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id, product_id = uuid.uuid4(), uuid.uuid4()
    await applied(
        orders,
        platform,
        product_updated(company_id, product_id, sku="W-2", name="Widget mk2", unit_price="15.00", version=3),
        # Older events arriving late change nothing.
        product_updated(company_id, product_id, sku="W-1", name="Widget", unit_price="11.00", version=2),
        product_created(company_id, product_id, sku="W-1", name="Widget", unit_price="10.00"),
    )
    product = (await prices(orders, company_id, [product_id], None))[product_id]
    assert (product.sku, product.name, product.list_price, product.orderable) == (
        "W-2",
        "Widget mk2",
        Decimal("15.00"),
        True,
    )
    assert (await stored_product(orders, product_id)).version == 3

    await applied(
        orders,
        platform,
        product_archived(company_id, product_id, sku="W-2", name="Widget mk2", unit_price="15.00", version=4),
    )
    assert not (await prices(orders, company_id, [product_id], None))[product_id].orderable
    await applied(
        orders,
        platform,
        product_restored(company_id, product_id, sku="W-2", name="Widget mk2", unit_price="15.00", version=5),
    )
    assert (await prices(orders, company_id, [product_id], None))[product_id].orderable


async def test_a_deleted_product_is_not_priced_and_a_late_older_event_does_not_bring_it_back(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id, product_id = uuid.uuid4(), uuid.uuid4()
    await applied(
        orders,
        platform,
        product_created(company_id, product_id, sku="GONE-1", name="Gone"),
        product_deleted(company_id, product_id, sku="GONE-1", version=3),
        product_updated(company_id, product_id, sku="GONE-1", name="Renamed", version=2),
    )
    assert await prices(orders, company_id, [product_id], None) == {}
    tombstone = await stored_product(orders, product_id)
    assert (tombstone.version, tombstone.name, tombstone.deleted_at is not None) == (3, None, True)


async def test_a_removed_override_gives_the_list_price_again_and_its_late_set_does_not_restore_it(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id, customer_id, product_id, override_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await applied(
        orders,
        platform,
        product_created(company_id, product_id, sku="P-1", name="Pipe", unit_price="20.00"),
        price_override_set(
            company_id, override_id, customer_id=customer_id, product_id=product_id, unit_price="15.00", version=2
        ),
    )
    assert (await prices(orders, company_id, [product_id], customer_id))[product_id].unit_price == Decimal("15.00")

    await applied(
        orders,
        platform,
        price_override_removed(company_id, override_id, customer_id=customer_id, product_id=product_id, version=3),
        price_override_set(company_id, override_id, customer_id=customer_id, product_id=product_id, unit_price="14.00"),
    )
    assert (await prices(orders, company_id, [product_id], customer_id))[product_id].unit_price == Decimal("20.00")

    # A new override of the same pair is a new one (its own id).
    await applied(
        orders,
        platform,
        price_override_set(
            company_id, uuid.uuid4(), customer_id=customer_id, product_id=product_id, unit_price="18.00"
        ),
    )
    assert (await prices(orders, company_id, [product_id], customer_id))[product_id].unit_price == Decimal("18.00")


async def test_a_redelivered_event_is_applied_once(orders: RunningService, platform: PlatformSettings) -> None:
    company_id, product_id = uuid.uuid4(), uuid.uuid4()
    created = product_created(company_id, product_id, sku="R-1", name="Rope")
    renamed = product_updated(company_id, product_id, sku="R-1", name="Rope, blue", version=2)
    await applied(orders, platform, created, renamed)
    # The creation again, as the broker redelivers it after a lost ack, then a later event as a marker.
    marker = product_created(company_id, uuid.uuid4(), sku="M-1", name="Marker")
    await applied(orders, platform, created, marker)

    assert await times_processed(orders.database, SPEC.metadata, created.id) == 1
    product = await stored_product(orders, product_id)
    assert (product.name, product.version) == ("Rope, blue", 2)


# -- customers and addresses ------------------------------------------------------------------------


async def test_a_customer_is_live_at_its_newest_version_until_deleted_for_good(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id, customer_id = uuid.uuid4(), uuid.uuid4()
    await applied(
        orders,
        platform,
        customer_updated(company_id, customer_id, name="Bolt & Co", version=2),
        customer_created(company_id, customer_id, name="Bolt Co"),
    )
    customer = await read(orders, lambda session: live_customer(session, company_id, customer_id))
    assert customer is not None
    assert (customer.name, customer.version) == ("Bolt & Co", 2)
    assert await read(orders, lambda session: live_customer(session, uuid.uuid4(), customer_id)) is None
    assert await read(orders, lambda session: live_customer(session, company_id, uuid.uuid4())) is None

    await applied(
        orders,
        platform,
        customer_deleted(company_id, customer_id, version=4),
        customer_updated(company_id, customer_id, name="Back again?", version=3),
    )
    assert await read(orders, lambda session: live_customer(session, company_id, customer_id)) is None


async def test_addresses_are_listed_default_first_and_a_deleted_one_is_gone(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id, customer_id, other_customer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # Time-ordered ids, as identity gives them: the order they were added in.
    office, dock, moved = new_id(), new_id(), new_id()
    await applied(
        orders,
        platform,
        customer_created(company_id, customer_id, name="Acme Retail"),
        customer_created(company_id, other_customer, name="Other Retail"),
        address_created(company_id, office, customer_id=customer_id, line1="1 Office Rd", label="Office"),
        address_created(company_id, dock, customer_id=customer_id, is_default=True),
        address_created(company_id, moved, customer_id=customer_id, line1="9 Old St"),
        address_updated(company_id, moved, customer_id=customer_id, line1="10 New St", version=3),
        address_updated(company_id, moved, customer_id=customer_id, line1="9.5 Between St", version=2),
    )

    listed = await read(orders, lambda session: customer_addresses(session, company_id, customer_id))
    assert [address_id for address_id, _fields in listed] == [dock, office, moved]
    assert listed[0][1] == ADDRESS_FIELDS | {"isDefault": True}
    assert listed[2][1]["line1"] == "10 New St"
    assert await read(orders, lambda session: live_address(session, company_id, customer_id, office)) == (
        ADDRESS_FIELDS | {"line1": "1 Office Rd", "label": "Office"}
    )
    # Another customer's address, or another company's, is not this customer's.
    assert await read(orders, lambda session: live_address(session, company_id, other_customer, office)) is None
    assert await read(orders, lambda session: live_address(session, uuid.uuid4(), customer_id, office)) is None

    await applied(
        orders,
        platform,
        address_deleted(company_id, office, customer_id=customer_id, version=2),
        address_created(company_id, office, customer_id=customer_id, line1="1 Office Rd"),
    )
    assert await read(orders, lambda session: live_address(session, company_id, customer_id, office)) is None
    listed = await read(orders, lambda session: customer_addresses(session, company_id, customer_id))
    assert [address_id for address_id, _fields in listed] == [dock, moved]


async def test_a_deleted_customer_s_addresses_go_with_it_even_those_arriving_later(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id, customer_id, address_id, late_address = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await applied(
        orders,
        platform,
        customer_created(company_id, customer_id, name="Closing Down"),
        address_created(company_id, address_id, customer_id=customer_id, is_default=True),
        customer_deleted(company_id, customer_id, version=2),
        address_created(company_id, late_address, customer_id=customer_id),
    )
    assert await read(orders, lambda session: customer_addresses(session, company_id, customer_id)) == []
    async with orders.database.sessionmaker() as session:
        for address in (address_id, late_address):
            assert await live_address(session, company_id, customer_id, address) is None


# -- who acts ---------------------------------------------------------------------------------------


async def test_staff_users_are_named_from_signup_or_invite(orders: RunningService, platform: PlatformSettings) -> None:
    company_id, elsewhere = uuid.uuid4(), uuid.uuid4()
    signed_up, joined_known, joined_new, joined_unknown = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await applied(
        orders,
        platform,
        user_created(company_id, signed_up, name="Olive Owner", email="olive@example.com"),
        # An existing account joining: orders knows its name from the company it signed up with.
        user_created(elsewhere, joined_known, name="Kim Known", email="kim@example.com"),
        invite_accepted(company_id, joined_known, email="kim@example.com"),
        # A new account by invite: the invite may arrive before the account's own event.
        invite_accepted(company_id, joined_new, email="nia@example.com"),
        user_created(company_id, joined_new, name="Nia New", email="nia@example.com"),
        # An account orders never heard of: named by its email.
        invite_accepted(company_id, joined_unknown, email="uma@example.com"),
    )

    def user(user_id: uuid.UUID) -> Principal:
        return Principal(type="user", id=user_id, role="MEMBER")

    assert await name_of(orders, company_id, user(signed_up)) == "Olive Owner"
    assert await name_of(orders, company_id, user(joined_known)) == "Kim Known"
    assert await name_of(orders, company_id, user(joined_new)) == "Nia New"
    assert await name_of(orders, company_id, user(joined_unknown)) == "uma@example.com"
    assert await name_of(orders, elsewhere, user(signed_up)) is None
    assert await name_of(orders, company_id, Principal(type="anonymous")) is None


async def test_customers_contacts_and_api_keys_are_named(orders: RunningService, platform: PlatformSettings) -> None:
    company_id, customer_id = uuid.uuid4(), uuid.uuid4()
    named, unnamed, renamed, removed, key = (uuid.uuid4() for _ in range(5))
    await applied(
        orders,
        platform,
        customer_created(company_id, customer_id, name="Acme Retail"),
        contact_created(company_id, named, customer_id=customer_id, email="ann@acme.test", name="Ann Buyer"),
        contact_created(company_id, unnamed, customer_id=customer_id, email="bob@acme.test", name=None),
        # A rename then a role change; the role change arrives first and carries no name.
        contact_role_changed(company_id, renamed, customer_id=customer_id, email="cy@acme.test", version=3),
        contact_updated(company_id, renamed, customer_id=customer_id, name="Cy Renamed", version=2),
        contact_created(company_id, renamed, customer_id=customer_id, email="cy@acme.test", name="Cy"),
        contact_created(company_id, removed, customer_id=customer_id, email="dee@acme.test", name="Dee"),
        contact_removed(company_id, removed, customer_id=customer_id, email="dee@acme.test", version=2),
        contact_updated(company_id, removed, customer_id=customer_id, name="Dee Late", version=1),
        api_key_created(company_id, key, name="ERP sync"),
    )

    def contact(contact_id: uuid.UUID) -> Principal:
        return Principal(type="contact", id=contact_id, role="BUYER", customer_id=customer_id)

    customer = Principal(type="customer", id=customer_id, role="ADMIN", customer_id=customer_id)
    assert await name_of(orders, company_id, customer) == "Acme Retail"
    assert await name_of(orders, company_id, contact(named)) == "Ann Buyer"
    assert await name_of(orders, company_id, contact(unnamed)) == "bob@acme.test"
    assert await name_of(orders, company_id, contact(renamed)) == "Cy Renamed"
    assert await name_of(orders, company_id, contact(removed)) is None
    assert await name_of(orders, company_id, Principal(type="api_key", id=key, scopes=["orders:write"])) == "ERP sync"
    # Ids of one kind are not looked up as another.
    assert await name_of(orders, company_id, Principal(type="user", id=key)) is None

    # A contact cleared of its name is named by its email; a revoked key keeps its name.
    await applied(
        orders,
        platform,
        contact_updated(company_id, named, customer_id=customer_id, name=None, version=2),
        api_key_revoked(company_id, key, name="ERP sync"),
    )
    assert await name_of(orders, company_id, contact(named)) == "ann@acme.test"
    assert await name_of(orders, company_id, Principal(type="api_key", id=key)) == "ERP sync"


async def test_a_deleted_customer_s_contacts_are_no_longer_named(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id, customer_id, contact_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await applied(
        orders,
        platform,
        customer_created(company_id, customer_id, name="Closing Down"),
        contact_created(company_id, contact_id, customer_id=customer_id, email="eve@closing.test", name="Eve"),
        customer_deleted(company_id, customer_id, version=2, contact_ids=[contact_id]),
    )
    async with orders.database.sessionmaker() as session:
        person = await session.get(Person, (contact_id, company_id))
    assert person is not None
    assert (person.kind, person.name, person.email, person.deleted_at is not None) == (
        PersonKind.CONTACT,
        None,
        None,
        True,
    )
    customer = Principal(type="customer", id=customer_id)
    assert await name_of(orders, company_id, customer) is None


# -- this month's orders ----------------------------------------------------------------------------


async def test_order_limits_count_this_month_s_orders_only(orders: RunningService, platform: PlatformSettings) -> None:
    this_month, last_month = uuid.uuid4(), uuid.uuid4()
    for company_id in (this_month, last_month):
        await applied(
            orders,
            platform,
            company_created(company_id, name="Acme", slug=f"acme-{company_id.hex[:8]}"),
            trial_started(company_id),
        )
    month = first_of_month(utcnow())
    previous = (month - timedelta(days=1)).replace(day=1)
    # The counters as placing orders leaves them (placing is tested with the orders API).
    async with orders.database.sessionmaker() as session:
        session.add(OrderCounter(company_id=this_month, last_number=12, month=month, month_orders=3))
        session.add(OrderCounter(company_id=last_month, last_number=40, month=previous, month_orders=40))
        await session.commit()

    async def counted(company_id: uuid.UUID) -> Any:
        response = await orders.get("/api/v1/orders/limits", company_id)
        assert response.status_code == 200, response.text
        return response.json()["ordersThisMonth"]

    assert await counted(this_month) == 3
    assert await counted(last_month) == 0


async def test_a_company_without_orders_counts_none(orders: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    await applied(orders, platform, company_created(company_id, name="New Co", slug=f"new-{company_id.hex[:8]}"))

    async def limits() -> Any:
        response = await orders.get("/api/v1/orders/limits", company_id)
        return response if response.status_code == 200 else None

    await applied(orders, platform, trial_started(company_id))
    assert (await wait_until(limits, what="order limits")).json()["ordersThisMonth"] == 0
