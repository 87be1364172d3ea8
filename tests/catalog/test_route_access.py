"""Catalog refuses, route by route, every caller its declared access excludes, whatever the gateway let by."""

import uuid

from services.catalog.app import SPEC
from tests.catalog.support import Catalog
from tests.support.access import refusals_that_went_wrong, row_counts


async def test_every_route_refuses_the_callers_its_access_excludes_and_changes_nothing(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    await catalog.create_product(company_id)
    before = await row_counts(catalog.service.database, SPEC.metadata)

    wrong = await refusals_that_went_wrong(
        catalog.client, catalog.signer, "catalog", SPEC.routers, company_id=company_id, staff_user_id=uuid.uuid4()
    )

    assert wrong == []
    assert await row_counts(catalog.service.database, SPEC.metadata) == before
