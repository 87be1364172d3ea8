"""The hot writes issue the statements they need and no more, counted on real PostgreSQL.

What counts as a round trip: each statement the driver executes (SQLAlchemy's before_cursor_execute),
plus the transaction's BEGIN and COMMIT. The requests go through a second catalog app on the same
database that runs no worker and no relay, so nothing else uses its engine while it is watched. Each
kind of write runs once first: the driver prepares a statement the first time a connection sees it.
"""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import Connection

from kit.db import Database
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from tests.catalog.support import OVERRIDES, PRODUCTS, Catalog, import_csv, product_body
from tests.conftest import start_app

ROUND_TRIP_BUDGET = 5


@dataclass
class RoundTrips:
    statements: list[str] = field(default_factory=list)
    begins: int = 0
    commits: int = 0

    @property
    def total(self) -> int:
        return self.begins + len(self.statements) + self.commits

    def kinds(self) -> list[str]:
        """Each statement as its first words and table, e.g. "INSERT INTO price_overrides"."""
        return [" ".join(statement.split()[:3]) for statement in self.statements]


@dataclass(frozen=True)
class WatchedApp:
    client: httpx.AsyncClient
    database: Database

    @contextmanager
    def round_trips(self) -> Iterator[RoundTrips]:
        trips = RoundTrips()
        engine = self.database.engine.sync_engine

        def executed(_conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
            trips.statements.append(statement)

        def began(_conn: Connection) -> None:
            trips.begins += 1

        def committed(_conn: Connection) -> None:
            trips.commits += 1

        listeners = (("before_cursor_execute", executed), ("begin", began), ("commit", committed))
        for name, listener in listeners:
            event.listen(engine, name, listener)
        try:
            yield trips
        finally:
            for name, listener in listeners:
                event.remove(engine, name, listener)


@pytest.fixture(scope="module")
async def watched(catalog: Catalog) -> AsyncIterator[WatchedApp]:
    app: FastAPI = create_app(CatalogSettings(database_url=catalog.service.database.url), catalog.platform)
    async with AsyncExitStack() as stack:
        client = await start_app(stack, app)
        yield WatchedApp(client, app.state.database)


async def create_override(
    watched: WatchedApp, catalog: Catalog, company_id: uuid.UUID, customer_id: uuid.UUID, product_id: str
) -> httpx.Response:
    body = {"customerId": str(customer_id), "productId": product_id, "unitPrice": "4.25"}
    return await watched.client.post(OVERRIDES, json=body, headers=catalog.staff(company_id))


async def test_a_price_override_create_takes_at_most_five_round_trips(catalog: Catalog, watched: WatchedApp) -> None:
    company_id = await catalog.new_company(currency="CAD")
    customer_id = await catalog.new_customer(company_id, "Blue Plate Diner")
    warm_up, product = await catalog.create_product(company_id), await catalog.create_product(company_id)
    assert (await create_override(watched, catalog, company_id, customer_id, warm_up["id"])).status_code == 201

    with watched.round_trips() as trips:
        response = await create_override(watched, catalog, company_id, customer_id, product["id"])

    assert response.status_code == 201, response.text
    # The answer is built from what the statements read and wrote, and reads back the same.
    override = response.json()
    assert (override["productSku"], override["listPrice"], override["customerName"], override["currency"]) == (
        product["sku"],
        product["unitPrice"],
        "Blue Plate Diner",
        "CAD",
    )
    fetched = await catalog.client.get(f"{OVERRIDES}/{override['id']}", headers=catalog.staff(company_id))
    assert fetched.json() == override
    # One check of everything referred to, the insert (the unique pair decides a duplicate), the event.
    assert trips.kinds() == [
        "SELECT tenants.currency, customers.name,",
        "INSERT INTO price_overrides",
        "INSERT INTO outbox",
    ]
    assert (trips.begins, trips.commits) == (1, 1)
    assert trips.total <= ROUND_TRIP_BUDGET


async def test_a_refused_override_create_still_answers_as_before(catalog: Catalog, watched: WatchedApp) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    first = await create_override(watched, catalog, company_id, customer_id, product["id"])

    duplicate = await create_override(watched, catalog, company_id, customer_id, product["id"])
    unknown = await create_override(watched, catalog, company_id, uuid.uuid4(), product["id"])

    assert duplicate.status_code == 409
    assert f"PATCH /api/v1/price-overrides/{first.json()['id']}" in duplicate.json()["detail"]
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "Customer not found.")


async def test_a_product_create_and_edit_take_at_most_five_round_trips(catalog: Catalog, watched: WatchedApp) -> None:
    company_id = await catalog.new_company()
    staff = catalog.staff(company_id)
    warm_up = await watched.client.post(PRODUCTS, json=product_body(), headers=staff)
    await watched.client.patch(f"{PRODUCTS}/{warm_up.json()['id']}", json={"name": "Warm"}, headers=staff)

    with watched.round_trips() as create:
        created = await watched.client.post(PRODUCTS, json=product_body(), headers=staff)
    with watched.round_trips() as edit:
        edited = await watched.client.patch(
            f"{PRODUCTS}/{created.json()['id']}", json={"name": "Renamed", "unitPrice": "3.00"}, headers=staff
        )

    assert (created.status_code, edited.status_code) == (201, 200)
    assert (edited.json()["name"], edited.json()["unitPrice"]) == ("Renamed", "3.00")
    # The counter (with the limit and the currency), the product, its event.
    assert create.kinds() == ["UPDATE product_counters SET", "INSERT INTO products", "INSERT INTO outbox"]
    # The product locked with the currency, the product written, its event.
    assert [kind.split()[0] for kind in edit.kinds()] == ["SELECT", "UPDATE", "INSERT"]
    assert "FOR UPDATE" in edit.statements[0]
    assert max(create.total, edit.total) <= ROUND_TRIP_BUDGET


async def test_a_product_create_costs_the_same_in_a_large_catalog(catalog: Catalog, watched: WatchedApp) -> None:
    company_id = await catalog.new_company(max_products=None)
    staff = catalog.staff(company_id)
    await watched.client.post(PRODUCTS, json=product_body(), headers=staff)
    with watched.round_trips() as small:
        await watched.client.post(PRODUCTS, json=product_body(), headers=staff)

    rows = "".join(f"BIG-{i},Big {i},1.00\n" for i in range(5_000))
    assert (await import_csv(catalog, company_id, f"sku,name,unitPrice\n{rows}")).status_code == 200
    with watched.round_trips() as large:
        response = await watched.client.post(PRODUCTS, json=product_body(), headers=staff)

    assert response.status_code == 201
    # The same statements at 2 products as at 5,002: nothing counts the catalog.
    assert large.statements == small.statements
    assert not any("count(" in statement.lower() for statement in large.statements)
