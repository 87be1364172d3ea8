"""Webhooks keeps its tenants (the companies identity created) from identity's events, via RabbitMQ.

Webhooks has no public endpoint yet, so these tests read its tenant table directly.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from kit.context import ContextSigner
from kit.db import utcnow
from kit.settings import PlatformSettings
from services.webhooks.app import SPEC, create_app
from services.webhooks.models import Tenant
from services.webhooks.settings import WebhooksSettings
from services.webhooks.tenants.repository import LocalTenantRepository
from tests.conftest import DatabaseFactory
from tests.support.events import (
    company_created,
    company_updated,
    dead_lettered,
    publish_event,
    times_processed,
    trial_started,
    wait_until_drained,
    wait_until_processed,
)
from tests.support.services import RunningService, running_service


@pytest.fixture(scope="module")
async def webhooks(
    platform: PlatformSettings, new_database: DatabaseFactory, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    app = create_app(WebhooksSettings(database_url=await new_database("webhooks")), platform)
    async with running_service("webhooks", app, platform, signer) as service:
        yield service


async def stored_tenant(webhooks: RunningService, company_id: uuid.UUID) -> Tenant | None:
    async with webhooks.database.sessionmaker() as session:
        return await LocalTenantRepository(session, company_id).one()


async def test_created_company_becomes_a_tenant(webhooks: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Acme Distributors", slug="acme-distributors")

    await publish_event(platform, created)
    await wait_until_processed(webhooks.database, SPEC.metadata, created)

    tenant = await stored_tenant(webhooks, company_id)
    assert tenant is not None
    assert (tenant.name, tenant.slug, tenant.updated_from_event_at) == (
        "Acme Distributors",
        "acme-distributors",
        created.occurred_at,
    )


async def test_renamed_company_is_renamed(webhooks: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Acme", slug="acme")
    renamed = company_updated(company_id, name="Acme Supply", slug="acme-supply", previous_slug="acme")

    await publish_event(platform, created)
    await wait_until_processed(webhooks.database, SPEC.metadata, created)
    await publish_event(platform, renamed)
    await wait_until_processed(webhooks.database, SPEC.metadata, renamed)

    tenant = await stored_tenant(webhooks, company_id)
    assert tenant is not None
    assert (tenant.name, tenant.slug) == ("Acme Supply", "acme-supply")


async def test_subscription_events_are_not_consumed(webhooks: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    trial = trial_started(company_id)
    created = company_created(company_id, name="Plain Co", slug="plain-co", occurred_at=trial.occurred_at)

    await publish_event(platform, trial, created)
    await wait_until_processed(webhooks.database, SPEC.metadata, created)

    await wait_until_drained(platform, "webhooks")
    assert await times_processed(webhooks.database, SPEC.metadata, trial.id) == 0
    assert await stored_tenant(webhooks, company_id) is not None


async def test_redelivered_event_is_applied_once(webhooks: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Twice Co", slug="twice-co")

    await publish_event(platform, created, created)
    await wait_until_processed(webhooks.database, SPEC.metadata, created)

    await wait_until_drained(platform, "webhooks")
    assert await times_processed(webhooks.database, SPEC.metadata, created.id) == 1
    assert await dead_lettered(platform, "webhooks") == 0
    tenant = await stored_tenant(webhooks, company_id)
    assert tenant is not None
    assert tenant.name == "Twice Co"


async def test_update_arriving_before_create_still_ends_with_the_update(
    webhooks: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    earlier = utcnow() - timedelta(minutes=5)
    created = company_created(company_id, name="Old Name", slug="old-name", occurred_at=earlier)
    renamed = company_updated(company_id, name="New Name", slug="new-name", previous_slug="old-name")

    await publish_event(platform, renamed)
    await wait_until_processed(webhooks.database, SPEC.metadata, renamed)
    await publish_event(platform, created)
    await wait_until_processed(webhooks.database, SPEC.metadata, created)

    tenant = await stored_tenant(webhooks, company_id)
    assert tenant is not None
    assert (tenant.name, tenant.slug, tenant.updated_from_event_at) == ("New Name", "new-name", renamed.occurred_at)


async def test_health_needs_no_context_but_other_paths_do(webhooks: RunningService) -> None:
    assert (await webhooks.client.get("/healthz")).status_code == 200
    assert (await webhooks.client.get("/openapi.json")).status_code == 401
