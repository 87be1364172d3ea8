"""A deleted company's catalog rows all go, through the kit's purge, and every other company's stay."""

import uuid

from kit.purge import unlisted_tables
from services.catalog.app import SPEC
from tests.catalog.support import Catalog, import_csv
from tests.contracts.envelopes import company_deleted
from tests.support.events import publish_event, wait_until
from tests.support.purge import company_rows


def test_every_catalog_table_with_company_rows_is_in_the_purge_plan() -> None:
    assert unlisted_tables(SPEC.metadata, SPEC.purge) == []


async def company_with_everything(catalog: Catalog) -> uuid.UUID:
    """A company with a row in every catalog table: tenant, customers, products, overrides, its counter, events."""
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    await catalog.new_customer(company_id, "Second")
    product = await catalog.create_product(company_id)
    await catalog.set_override(company_id, customer_id, product["id"], "1.00")
    await import_csv(catalog, company_id, "sku,name,unitPrice\n" + "".join(f"P-{i},P {i},1.00\n" for i in range(30)))
    return company_id


async def test_a_deleted_company_s_rows_are_purged_from_every_table_and_others_stay(catalog: Catalog) -> None:
    url = catalog.service.database.url
    deleted, kept = await company_with_everything(catalog), await company_with_everything(catalog)
    before = await company_rows(url, deleted)
    kept_before = await company_rows(url, kept)
    assert all(before[table] > 0 for table in SPEC.purge.tables), before

    # Published, not delivered-and-awaited: the purge also removes the record that the event was processed.
    await publish_event(catalog.platform, company_deleted(deleted, name="Gone", slug="gone", version=2))

    async def purged() -> dict[str, int] | None:
        counts = await company_rows(url, deleted)
        return counts if not any(counts.values()) else None

    await wait_until(purged, what="the deleted company's catalog rows to be purged")
    assert await company_rows(url, kept) == kept_before
    assert (await catalog.service.get("/api/v1/catalog/limits", kept)).json()["activeProducts"] == 31
