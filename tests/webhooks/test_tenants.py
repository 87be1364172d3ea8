"""Webhooks keeps its tenants (the companies identity created) from identity's events, via RabbitMQ, newest
entity version first; a deleted company's tenant is purged.

No public endpoint shows tenants, so these tests read its tenant table directly.
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
from tests.contracts.envelopes import company_created, company_deleted, company_updated, trial_started
from tests.support.events import (
    dead_lettered,
    publish_event,
    times_processed,
    wait_until,
    wait_until_drained,
    wait_until_processed,
)
from tests.support.purge import company_rows
from tests.support.services import RunningService, running_service


@pytest.fixture(scope="module")
async def webhooks(
    platform: PlatformSettings, new_database: DatabaseFactory, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    app = create_app(WebhooksSettings(database_url=await new_database("webhooks")), platform, run_worker=True)
    async with running_service("webhooks", app, platform, signer) as service:
        yield service


async def stored_tenant(webhooks: RunningService, company_id: uuid.UUID) -> Tenant | None:
    async with webhooks.database.sessionmaker() as session:
        return await LocalTenantRepository(session, company_id).one()


async def known_tenant(webhooks: RunningService, company_id: uuid.UUID) -> Tenant:
    tenant = await stored_tenant(webhooks, company_id)
    assert tenant is not None
    return tenant


async def test_created_company_becomes_a_tenant(webhooks: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Acme Distributors", slug="acme-distributors")

    await publish_event(platform, created)
    await wait_until_processed(webhooks.database, SPEC.metadata, created)

    tenant = await known_tenant(webhooks, company_id)
    assert (tenant.name, tenant.slug, tenant.company_version) == ("Acme Distributors", "acme-distributors", 1)


async def test_renamed_company_is_renamed(webhooks: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Acme", slug="acme")
    renamed = company_updated(company_id, name="Acme Supply", slug="acme-supply", previous_slug="acme", version=2)

    await publish_event(platform, created)
    await wait_until_processed(webhooks.database, SPEC.metadata, created)
    await publish_event(platform, renamed)
    await wait_until_processed(webhooks.database, SPEC.metadata, renamed)

    tenant = await known_tenant(webhooks, company_id)
    assert (tenant.name, tenant.slug, tenant.company_version) == ("Acme Supply", "acme-supply", 2)


async def test_subscription_events_leave_the_tenant_as_it_is(
    webhooks: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Plain Co", slug="plain-co")
    trial = trial_started(company_id)

    # Webhooks consumes every event (to deliver it), but only company events change its tenants.
    await publish_event(platform, created, trial)
    await wait_until_processed(webhooks.database, SPEC.metadata, trial)

    tenant = await known_tenant(webhooks, company_id)
    assert (tenant.name, tenant.slug, tenant.company_version) == ("Plain Co", "plain-co", 1)


async def test_redelivered_event_is_applied_once(webhooks: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Twice Co", slug="twice-co")
    dead_before = await dead_lettered(platform, "webhooks")

    await publish_event(platform, created, created)
    await wait_until_processed(webhooks.database, SPEC.metadata, created)

    await wait_until_drained(platform, "webhooks")
    assert await times_processed(webhooks.database, SPEC.metadata, created.id) == 1
    assert await dead_lettered(platform, "webhooks") == dead_before
    assert (await known_tenant(webhooks, company_id)).name == "Twice Co"


async def test_an_older_version_arriving_after_a_newer_one_changes_nothing(
    webhooks: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Old Name", slug="old-name")
    renamed = company_updated(company_id, name="New Name", slug="new-name", previous_slug="old-name", version=2)

    await publish_event(platform, renamed)
    await wait_until_processed(webhooks.database, SPEC.metadata, renamed)
    await publish_event(platform, created)
    await wait_until_processed(webhooks.database, SPEC.metadata, created)

    tenant = await known_tenant(webhooks, company_id)
    assert (tenant.name, tenant.slug, tenant.company_version) == ("New Name", "new-name", 2)


async def test_shuffled_and_duplicated_events_delivered_together_end_at_the_newest_version(
    webhooks: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Name 1", slug="name-1")
    second = company_updated(company_id, name="Name 2", slug="name-2", previous_slug="name-1", version=2)
    third = company_updated(company_id, name="Name 3", slug="name-3", previous_slug="name-2", version=3)
    shuffled = [third, created, third, second, created]

    await publish_event(platform, *shuffled)
    await wait_until_processed(webhooks.database, SPEC.metadata, *shuffled)

    tenant = await known_tenant(webhooks, company_id)
    assert (tenant.name, tenant.slug, tenant.company_version) == ("Name 3", "name-3", 3)
    assert await times_processed(webhooks.database, SPEC.metadata, third.id) == 1


async def test_the_version_decides_not_the_producers_clock(
    webhooks: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    now = utcnow()
    # Two identity replicas with skewed clocks: the later change carries the earlier timestamp.
    first = company_created(company_id, name="First", slug="first", occurred_at=now)
    second = company_updated(
        company_id, name="Second", slug="second", previous_slug="first", version=2, occurred_at=now - timedelta(hours=1)
    )

    await publish_event(platform, first)
    await wait_until_processed(webhooks.database, SPEC.metadata, first)
    await publish_event(platform, second)
    await wait_until_processed(webhooks.database, SPEC.metadata, second)

    assert (await known_tenant(webhooks, company_id)).name == "Second"


async def test_a_deleted_company_is_purged_and_another_company_keeps_its_tenant(
    webhooks: RunningService, platform: PlatformSettings
) -> None:
    deleted, kept = uuid.uuid4(), uuid.uuid4()
    setup = [
        company_created(deleted, name="Gone Co", slug="gone-co"),
        company_updated(deleted, name="Gone Co", slug="gone-co-2", previous_slug="gone-co", version=2),
        company_created(kept, name="Kept Co", slug="kept-co"),
    ]
    await publish_event(platform, *setup)
    await wait_until_processed(webhooks.database, SPEC.metadata, *setup)
    kept_before = await company_rows(webhooks.database.url, kept)
    assert (kept_before["tenants"], kept_before["processed_events"]) == (1, 1)

    await publish_event(platform, company_deleted(deleted, name="Gone Co", slug="gone-co-2", version=3))

    async def purged() -> bool:
        return set((await company_rows(webhooks.database.url, deleted)).values()) == {0}

    await wait_until(purged, what="the deleted company's rows to be purged")
    assert await stored_tenant(webhooks, deleted) is None
    assert await company_rows(webhooks.database.url, kept) == kept_before


async def test_health_needs_no_context_but_other_paths_do(webhooks: RunningService) -> None:
    assert (await webhooks.client.get("/healthz")).status_code == 200
    assert (await webhooks.client.get("/openapi.json")).status_code == 401
