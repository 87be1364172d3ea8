"""Audit refuses, route by route, every caller its declared access excludes, whatever the gateway let by."""

import uuid

from services.audit.app import SPEC
from tests.audit.conftest import AuditService
from tests.support.access import refusals_that_went_wrong, row_counts


async def test_every_route_refuses_the_callers_its_access_excludes_and_changes_nothing(audit: AuditService) -> None:
    before = await row_counts(audit.database, SPEC.metadata)

    wrong = await refusals_that_went_wrong(
        audit.client, audit.signer, "audit", SPEC.routers, company_id=uuid.uuid4(), staff_user_id=uuid.uuid4()
    )

    assert wrong == []
    assert await row_counts(audit.database, SPEC.metadata) == before
