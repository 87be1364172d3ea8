"""Orders refuses, route by route, every caller its declared access excludes, whatever the gateway let by."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from kit.context import ContextSigner
from kit.db import utcnow
from kit.settings import PlatformSettings
from services.orders.app import SPEC, create_app
from services.orders.settings import OrdersSettings
from tests.conftest import DatabaseFactory
from tests.support.access import refusals_that_went_wrong, row_counts
from tests.support.events import STARTER_LIMITS, company_created, publish_event, trial_started, wait_until_processed
from tests.support.services import RunningService, running_service


@pytest.fixture(scope="module")
async def orders(
    platform: PlatformSettings, new_database: DatabaseFactory, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    app = create_app(OrdersSettings(database_url=await new_database("orders")), platform)
    async with running_service("orders", app, platform, signer) as service:
        yield service


async def test_every_route_refuses_the_callers_its_access_excludes_and_changes_nothing(
    orders: RunningService, platform: PlatformSettings
) -> None:
    # A company orders knows, so a route that let a wrong caller through would answer it.
    company_id = uuid.uuid4()
    events = [
        company_created(company_id, name="Acme Distributors", slug=f"acme-{company_id.hex[:8]}"),
        trial_started(company_id, limits=STARTER_LIMITS, trial_ends_at=utcnow() + timedelta(days=14)),
    ]
    await publish_event(platform, *events)
    await wait_until_processed(orders.database, SPEC.metadata, *events)
    before = await row_counts(orders.database, SPEC.metadata)

    wrong = await refusals_that_went_wrong(
        orders.client, orders.signer, "orders", SPEC.routers, company_id=company_id, staff_user_id=uuid.uuid4()
    )

    assert wrong == []
    assert await row_counts(orders.database, SPEC.metadata) == before
