"""maxProducts is checked against a per-company counter of ACTIVE products, kept by every change in the
same transaction: concurrent creates never pass the limit, and the counter always equals the real count."""

import asyncio
import uuid
from typing import Any

from sqlalchemy import delete, func, select

from services.catalog.models import Product, ProductCounter, ProductStatus
from tests.catalog.support import LIMITS, PRODUCTS, Catalog, import_csv, product_body

COUNT_EVENTS = ("ProductCreated", "ProductArchived", "ProductRestored", "ProductDeleted", "ProductsImported")


async def stored_count(catalog: Catalog, company_id: uuid.UUID) -> tuple[int, int]:
    """(the counter row's ACTIVE products, the ACTIVE products really in the table)."""
    async with catalog.service.database.sessionmaker() as session:
        counter = await session.get(ProductCounter, company_id)
        real = await session.scalar(
            select(func.count())
            .select_from(Product)
            .where(Product.company_id == company_id, Product.status == ProductStatus.ACTIVE)
        )
    assert counter is not None
    return counter.active_products, int(real or 0)


async def assert_counted(catalog: Catalog, company_id: uuid.UUID, expected: int) -> None:
    """Counter, real count, the limits endpoint and the newest count event all agree on `expected`."""
    assert await stored_count(catalog, company_id) == (expected, expected)
    limits = await catalog.client.get(LIMITS, headers=catalog.staff(company_id))
    assert limits.json()["activeProducts"] == expected
    events = await catalog.events(company_id, *COUNT_EVENTS)
    versions = [event.data["activeProductsVersion"] for event in events]
    # Every count its own version, in the order raised: the newest version is the latest count.
    assert versions == sorted(set(versions)), versions
    assert events[-1].data["activeProducts"] == expected


async def test_concurrent_creates_never_pass_max_products(catalog: Catalog) -> None:
    company_id = await catalog.new_company(max_products=4)
    await catalog.create_product(company_id)

    responses = await asyncio.gather(
        *(catalog.client.post(PRODUCTS, json=product_body(), headers=catalog.staff(company_id)) for _ in range(12))
    )

    assert sorted(response.status_code for response in responses) == [201] * 3 + [402] * 9
    await assert_counted(catalog, company_id, 4)
    created = await catalog.events(company_id, "ProductCreated")
    assert sorted((e.data["activeProducts"], e.data["activeProductsVersion"]) for e in created) == [
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
    ]


async def test_concurrent_first_creates_of_a_company_never_pass_max_products(catalog: Catalog) -> None:
    company_id = await catalog.new_company(max_products=3)

    # The company's first count is made by one of them; the others wait for it, then count on.
    responses = await asyncio.gather(
        *(catalog.client.post(PRODUCTS, json=product_body(), headers=catalog.staff(company_id)) for _ in range(12))
    )

    assert sorted(response.status_code for response in responses) == [201] * 3 + [402] * 9
    await assert_counted(catalog, company_id, 3)


async def test_concurrent_restores_and_creates_never_pass_max_products(catalog: Catalog) -> None:
    company_id = await catalog.new_company(max_products=4)
    archived = [await catalog.create_product(company_id, status="ARCHIVED") for _ in range(4)]

    requests: list[Any] = [
        catalog.client.post(f"{PRODUCTS}/{product['id']}/restore", headers=catalog.staff(company_id))
        for product in archived
    ]
    requests += [
        catalog.client.post(PRODUCTS, json=product_body(), headers=catalog.staff(company_id)) for _ in range(4)
    ]
    responses = await asyncio.gather(*requests)

    assert sum(response.status_code in (200, 201) for response in responses) == 4
    await assert_counted(catalog, company_id, 4)


async def test_the_counter_equals_the_real_count_after_every_kind_of_change(catalog: Catalog) -> None:
    company_id = await catalog.new_company(max_products=None)
    staff = catalog.staff(company_id)
    first = await catalog.create_product(company_id, sku="FIRST")
    second = await catalog.create_product(company_id, sku="SECOND")
    await catalog.create_product(company_id, sku="SHELVED", status="ARCHIVED")
    await assert_counted(catalog, company_id, 2)

    await catalog.client.post(f"{PRODUCTS}/{first['id']}/archive", headers=staff)
    await assert_counted(catalog, company_id, 1)
    await catalog.client.post(f"{PRODUCTS}/{first['id']}/restore", headers=staff)
    await assert_counted(catalog, company_id, 2)
    await catalog.client.patch(f"{PRODUCTS}/{second['id']}", json={"status": "ARCHIVED"}, headers=staff)
    await assert_counted(catalog, company_id, 1)
    await catalog.client.delete(f"{PRODUCTS}/{second['id']}", headers=staff)
    await assert_counted(catalog, company_id, 1)
    await catalog.client.delete(f"{PRODUCTS}/{first['id']}", headers=staff)
    await assert_counted(catalog, company_id, 0)

    rows = "".join(f"NEW-{i},New {i},1.00\n" for i in range(5))
    imported = await import_csv(catalog, company_id, f"sku,name,unitPrice\n{rows}")
    assert imported.json() == {"created": 5, "updated": 0, "unchanged": 0}
    await assert_counted(catalog, company_id, 5)
    changed = await import_csv(catalog, company_id, "sku,status\nSHELVED,ACTIVE\nNEW-0,ARCHIVED\nNEW-1,ARCHIVED\n")
    assert changed.json() == {"created": 0, "updated": 3, "unchanged": 0}
    await assert_counted(catalog, company_id, 4)


async def test_a_company_without_a_counter_row_gets_one_counted_once_from_its_products(catalog: Catalog) -> None:
    company_id = await catalog.new_company(max_products=3)
    await catalog.create_product(company_id)
    await catalog.create_product(company_id)
    # As before the counter existed (the migration counts the tenants it finds; a row may still be missing).
    async with catalog.service.database.sessionmaker() as session:
        await session.execute(delete(ProductCounter).where(ProductCounter.company_id == company_id))
        await session.commit()

    third = await catalog.client.post(PRODUCTS, json=product_body(), headers=catalog.staff(company_id))
    fourth = await catalog.client.post(PRODUCTS, json=product_body(), headers=catalog.staff(company_id))

    assert (third.status_code, fourth.status_code) == (201, 402)
    assert await stored_count(catalog, company_id) == (3, 3)
