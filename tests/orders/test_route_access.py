"""Orders refuses, route by route, every caller its declared access excludes, whatever the gateway let by."""

import uuid
from datetime import timedelta

from kit.db import utcnow
from kit.settings import PlatformSettings
from services.orders.app import SPEC
from tests.contracts.envelopes import company_created, trial_started
from tests.support.access import refusals_that_went_wrong, row_counts
from tests.support.events import publish_event, wait_until_processed
from tests.support.services import RunningService


async def test_every_route_refuses_the_callers_its_access_excludes_and_changes_nothing(
    orders: RunningService, platform: PlatformSettings
) -> None:
    # A company orders knows, so a route that let a wrong caller through would answer it.
    company_id = uuid.uuid4()
    events = [
        company_created(company_id, name="Acme Distributors", slug=f"acme-{company_id.hex[:8]}"),
        trial_started(company_id, trial_ends_at=utcnow() + timedelta(days=14)),
    ]
    await publish_event(platform, *events)
    await wait_until_processed(orders.database, SPEC.metadata, *events)
    before = await row_counts(orders.database, SPEC.metadata)

    wrong = await refusals_that_went_wrong(
        orders.client, orders.signer, "orders", SPEC.routers, company_id=company_id, staff_user_id=uuid.uuid4()
    )

    assert wrong == []
    assert await row_counts(orders.database, SPEC.metadata) == before
