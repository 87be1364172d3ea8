"""Catalog keeps its tenants (company and product limit) from identity's events, delivered by RabbitMQ."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from kit.context import ContextSigner
from kit.db import utcnow
from kit.settings import PlatformSettings
from services.catalog.app import SPEC, create_app
from services.catalog.models import Tenant
from services.catalog.settings import CatalogSettings
from services.catalog.tenants.repository import LocalTenantRepository
from tests.conftest import DatabaseFactory
from tests.support.events import (
    STARTER_LIMITS,
    company_created,
    company_updated,
    dead_lettered,
    publish_event,
    subscription_changed,
    times_processed,
    trial_started,
    wait_until,
    wait_until_drained,
    wait_until_processed,
)
from tests.support.services import RunningService, running_service

LIMITS = "/api/v1/catalog/limits"


@pytest.fixture(scope="module")
async def catalog(
    platform: PlatformSettings, new_database: DatabaseFactory, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    app = create_app(CatalogSettings(database_url=await new_database("catalog")), platform)
    async with running_service("catalog", app, platform, signer) as service:
        yield service


async def stored_tenant(catalog: RunningService, company_id: uuid.UUID) -> Tenant:
    async with catalog.database.sessionmaker() as session:
        tenant = await LocalTenantRepository(session, company_id).one()
    assert tenant is not None
    return tenant


async def test_new_company_gets_the_product_limit_of_its_trial(
    catalog: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    await publish_event(
        platform,
        company_created(company_id, name="Acme Distributors", slug="acme-distributors"),
        trial_started(company_id, limits={**STARTER_LIMITS, "maxProducts": 100}),
    )

    async def limits_known() -> httpx.Response | None:
        response = await catalog.get(LIMITS, company_id)
        return response if response.status_code == 200 and response.json()["maxProducts"] is not None else None

    response = await wait_until(limits_known, what="catalog limits")
    assert response.json() == {"maxProducts": 100, "activeProducts": 0}
    tenant = await stored_tenant(catalog, company_id)
    assert (tenant.name, tenant.slug, tenant.plan_code, tenant.subscription_status) == (
        "Acme Distributors",
        "acme-distributors",
        "starter",
        "TRIALING",
    )


async def test_trial_started_before_company_created_still_ends_complete(
    catalog: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Blue Plate", slug="blue-plate")
    trial = trial_started(company_id, occurred_at=created.occurred_at + timedelta(milliseconds=5))

    await publish_event(platform, trial)
    await wait_until_processed(catalog.database, SPEC.metadata, trial)
    await publish_event(platform, created)
    await wait_until_processed(catalog.database, SPEC.metadata, created)

    tenant = await stored_tenant(catalog, company_id)
    assert (tenant.name, tenant.slug, tenant.max_products) == ("Blue Plate", "blue-plate", 100)


async def test_redelivered_event_is_applied_once(catalog: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Twice Co", slug="twice-co")

    await publish_event(platform, created, created)
    await wait_until_processed(catalog.database, SPEC.metadata, created)

    await wait_until_drained(platform, "catalog")
    assert await times_processed(catalog.database, SPEC.metadata, created.id) == 1
    assert await dead_lettered(platform, "catalog") == 0
    tenant = await stored_tenant(catalog, company_id)
    assert tenant.name == "Twice Co"


async def test_older_event_arriving_late_does_not_overwrite_newer_state(
    catalog: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    earlier = utcnow() - timedelta(minutes=5)
    created = company_created(company_id, name="Old Name", slug="old-name", occurred_at=earlier)
    trial = trial_started(company_id, occurred_at=earlier)
    renamed = company_updated(company_id, name="New Name", slug="new-name", previous_slug="old-name")
    upgraded = subscription_changed(
        company_id, plan_code="growth", status="ACTIVE", limits={**STARTER_LIMITS, "maxProducts": 500}
    )

    await publish_event(platform, renamed, upgraded)
    await wait_until_processed(catalog.database, SPEC.metadata, renamed, upgraded)
    await publish_event(platform, created, trial)
    await wait_until_processed(catalog.database, SPEC.metadata, created, trial)

    assert (await catalog.get(LIMITS, company_id)).json()["maxProducts"] == 500
    tenant = await stored_tenant(catalog, company_id)
    assert (tenant.name, tenant.slug, tenant.plan_code, tenant.subscription_status) == (
        "New Name",
        "new-name",
        "growth",
        "ACTIVE",
    )


async def test_unlimited_plan_reads_as_null(catalog: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    unlimited = subscription_changed(
        company_id, plan_code="enterprise", status="ACTIVE", limits={**STARTER_LIMITS, "maxProducts": None}
    )
    await publish_event(platform, company_created(company_id, name="Big Co", slug="big-co"), unlimited)
    await wait_until_processed(catalog.database, SPEC.metadata, unlimited)

    assert (await catalog.get(LIMITS, company_id)).json() == {"maxProducts": None, "activeProducts": 0}


async def test_a_company_catalog_has_not_heard_of_yet_is_told_to_retry(
    catalog: RunningService, platform: PlatformSettings
) -> None:
    known = uuid.uuid4()
    created = company_created(known, name="Known Co", slug="known-co")
    await publish_event(platform, created)
    await wait_until_processed(catalog.database, SPEC.metadata, created)

    response = await catalog.get(LIMITS, uuid.uuid4())

    # Just after signup, before the company's first events arrive: a moment's wait, not an error.
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert (await catalog.get(LIMITS, known)).status_code == 200


async def test_limits_without_context_are_refused(catalog: RunningService) -> None:
    response = await catalog.client.get(LIMITS)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_limits_without_a_company_in_context_are_refused(catalog: RunningService) -> None:
    response = await catalog.get(LIMITS, None)

    assert response.status_code == 401
