"""Catalog's copy of the company's customers follows identity's events by version, whatever order and however
often RabbitMQ delivers them: an older version never wins, and a deleted customer stays deleted."""

import uuid

from services.catalog.models import Customer
from tests.catalog.support import (
    OVERRIDES,
    Catalog,
    assert_problem,
    customer_created,
    customer_deleted,
    customer_updated,
)


async def stored_customer(catalog: Catalog, customer_id: uuid.UUID) -> Customer:
    async with catalog.service.database.sessionmaker() as session:
        customer = await session.get(Customer, customer_id)
    assert customer is not None
    return customer


async def test_an_older_version_delivered_after_a_newer_one_changes_nothing(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = uuid.uuid4()

    await catalog.deliver(customer_updated(company_id, customer_id, "Newest", version=3))
    await catalog.deliver(customer_created(company_id, customer_id, "Original"))
    await catalog.deliver(customer_updated(company_id, customer_id, "Between", version=2))

    customer = await stored_customer(catalog, customer_id)
    assert (customer.name, customer.version, customer.deleted_at) == ("Newest", 3, None)


async def test_in_one_batch_the_newest_version_wins_whatever_the_order_and_duplicates(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    first, second = uuid.uuid4(), uuid.uuid4()
    newest = customer_updated(company_id, first, "First v3", version=3)
    other = customer_updated(company_id, second, "Second v2", version=2)

    await catalog.deliver(
        newest,
        customer_created(company_id, second, "Second v1"),
        customer_updated(company_id, first, "First v2", version=2),
        other,
        newest,
        customer_created(company_id, first, "First v1"),
        other,
    )

    assert (await stored_customer(catalog, first)).name == "First v3"
    assert (await stored_customer(catalog, second)).name == "Second v2"


async def test_a_deleted_customer_stays_deleted_when_older_events_arrive_later(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id, "Leaving")
    product = await catalog.create_product(company_id)
    deletion = customer_deleted(company_id, customer_id, version=3)

    await catalog.deliver(deletion, deletion)
    await catalog.deliver(
        customer_updated(company_id, customer_id, "Ghost", version=2), customer_created(company_id, customer_id, "X")
    )

    customer = await stored_customer(catalog, customer_id)
    assert (customer.name, customer.email, customer.version) == (None, None, 3)
    assert customer.deleted_at == deletion.occurred_at
    refused = await catalog.client.post(
        OVERRIDES,
        json={"customerId": str(customer_id), "productId": product["id"], "unitPrice": "1.00"},
        headers=catalog.staff(company_id),
    )
    assert assert_problem(refused, 404)["detail"] == "Customer not found."


async def test_deleting_a_customer_twice_removes_its_overrides_once(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    override = await catalog.set_override(company_id, customer_id, product["id"], "3.00")

    # Two deletion events (a producer retry is a new event id): the second finds nothing left to remove.
    await catalog.deliver(customer_deleted(company_id, customer_id, version=2))
    await catalog.deliver(customer_deleted(company_id, customer_id, version=2))

    [removed] = await catalog.events(company_id, "PriceOverrideRemoved")
    assert (removed.entity.id, removed.entity.version) == (override["id"], 2)
    assert await catalog.overrides(company_id) == []
