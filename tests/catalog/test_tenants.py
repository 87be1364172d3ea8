"""Catalog keeps its tenants (company and product limit) from identity's events, delivered by RabbitMQ in
any order and more than once: each part of a tenant keeps the newest entity version it has seen."""

import uuid

import httpx

from kit.events import EntityRef
from services.catalog.app import SPEC
from services.catalog.models import Tenant
from services.catalog.tenants.repository import LocalTenantRepository
from tests.catalog.support import LIMITS, PRODUCTS, Catalog, company_created, plan_limits
from tests.contracts.envelopes import company_created as named_company_created
from tests.contracts.envelopes import company_updated, subscription_changed, trial_started
from tests.support.events import (
    dead_lettered,
    publish_event,
    times_processed,
    wait_until,
    wait_until_drained,
)


async def stored_tenant(catalog: Catalog, company_id: uuid.UUID) -> Tenant:
    async with catalog.service.database.sessionmaker() as session:
        tenant = await LocalTenantRepository(session, company_id).one()
    assert tenant is not None
    return tenant


def described(tenant: Tenant) -> tuple[object, ...]:
    return (tenant.name, tenant.slug, tenant.plan_code, tenant.subscription_status, tenant.max_products)


async def test_new_company_gets_the_product_limit_of_its_trial(catalog: Catalog) -> None:
    company_id = uuid.uuid4()
    await publish_event(
        catalog.platform,
        named_company_created(company_id, name="Acme Distributors", slug="acme-distributors"),
        trial_started(company_id, limits=plan_limits(100)),
    )

    async def limits_known() -> httpx.Response | None:
        response = await catalog.service.get(LIMITS, company_id)
        return response if response.status_code == 200 and response.json()["maxProducts"] is not None else None

    response = await wait_until(limits_known, what="catalog limits")
    assert response.json() == {"maxProducts": 100, "activeProducts": 0}
    tenant = await stored_tenant(catalog, company_id)
    assert described(tenant) == ("Acme Distributors", "acme-distributors", "starter", "TRIALING", 100)
    assert (tenant.company_version, tenant.subscription_version) == (1, 1)


async def test_trial_started_before_company_created_still_ends_complete(catalog: Catalog) -> None:
    company_id = uuid.uuid4()
    created = named_company_created(company_id, name="Blue Plate", slug="blue-plate")

    await catalog.deliver(trial_started(company_id))
    await catalog.deliver(created)

    tenant = await stored_tenant(catalog, company_id)
    assert (tenant.name, tenant.slug, tenant.max_products) == ("Blue Plate", "blue-plate", 100)


async def test_redelivered_event_is_applied_once(catalog: Catalog) -> None:
    company_id = uuid.uuid4()
    created = named_company_created(company_id, name="Twice Co", slug="twice-co")
    dead_before = await dead_lettered(catalog.platform, "catalog")

    await catalog.deliver(created, created)

    await wait_until_drained(catalog.platform, "catalog")
    assert await times_processed(catalog.service.database, SPEC.metadata, created.id) == 1
    assert await dead_lettered(catalog.platform, "catalog") == dead_before
    assert (await stored_tenant(catalog, company_id)).name == "Twice Co"


async def test_older_versions_delivered_after_newer_ones_change_nothing(catalog: Catalog) -> None:
    company_id = uuid.uuid4()
    created = named_company_created(company_id, name="Old Name", slug="old-name")
    trial = trial_started(company_id)
    renamed = company_updated(company_id, name="New Name", slug="new-name", previous_slug="old-name", version=2)
    upgraded = subscription_changed(company_id, version=2, plan_code="growth", status="ACTIVE", limits=plan_limits(500))

    await catalog.deliver(renamed, upgraded)
    # Older versions, later: a retry, a second worker, a relay batch that half failed. Clocks play no part.
    await catalog.deliver(created, trial)

    assert (await catalog.service.get(LIMITS, company_id)).json()["maxProducts"] == 500
    tenant = await stored_tenant(catalog, company_id)
    assert described(tenant) == ("New Name", "new-name", "growth", "ACTIVE", 500)
    assert (tenant.company_version, tenant.subscription_version) == (2, 2)


async def test_in_one_batch_the_newest_version_wins_whatever_the_order_and_duplicates(catalog: Catalog) -> None:
    company_id = uuid.uuid4()
    created = named_company_created(company_id, name="First", slug="first")
    second = company_updated(company_id, name="Second", slug="second", previous_slug="first", version=2)
    third = company_updated(company_id, name="Third", slug="third", previous_slug="second", version=3)
    trial = trial_started(company_id)
    growth = subscription_changed(company_id, version=2, plan_code="growth", status="ACTIVE", limits=plan_limits(500))
    scale = subscription_changed(company_id, version=3, plan_code="scale", status="ACTIVE", limits=plan_limits(None))

    # Published together, so the worker takes them as one batch (or a few): newest first, duplicates between.
    await catalog.deliver(third, scale, created, third, growth, second, trial, scale)

    tenant = await stored_tenant(catalog, company_id)
    assert described(tenant) == ("Third", "third", "scale", "ACTIVE", None)
    assert (tenant.company_version, tenant.subscription_version) == (3, 3)


async def test_an_event_without_an_entity_version_is_dead_lettered_and_changes_nothing(catalog: Catalog) -> None:
    company_id = uuid.uuid4()
    await catalog.deliver(company_created(company_id))
    update = company_updated(company_id, name="Clockwise", slug="clockwise", version=2)
    unversioned = update.model_copy(update={"entity": EntityRef(type="Company", id=str(company_id))})
    dead_before = await dead_lettered(catalog.platform, "catalog")

    await publish_event(catalog.platform, unversioned)

    async def parked() -> bool:
        return await dead_lettered(catalog.platform, "catalog") > dead_before

    await wait_until(parked, what="the unversioned event in the dead-letter queue")
    tenant = await stored_tenant(catalog, company_id)
    assert (tenant.name, tenant.company_version) == (f"Acme {company_id.hex[:8]}", 1)


async def test_unlimited_plan_reads_as_null(catalog: Catalog) -> None:
    company_id = uuid.uuid4()
    unlimited = subscription_changed(
        company_id, version=2, plan_code="enterprise", status="ACTIVE", limits=plan_limits(None)
    )
    await catalog.deliver(company_created(company_id), unlimited)

    assert (await catalog.service.get(LIMITS, company_id)).json() == {"maxProducts": None, "activeProducts": 0}


async def test_a_company_catalog_has_not_heard_of_yet_is_told_to_retry(catalog: Catalog) -> None:
    known = await catalog.new_company()

    response = await catalog.service.get(LIMITS, uuid.uuid4())

    # Just after signup, before the company's first events arrive: a moment's wait, not an error.
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert (await catalog.service.get(LIMITS, known)).status_code == 200


async def test_a_company_whose_plan_has_not_arrived_is_told_to_retry_never_served_without_a_limit(
    catalog: Catalog,
) -> None:
    company_id = uuid.uuid4()
    await catalog.deliver(company_created(company_id))
    product = {"sku": "EARLY-1", "name": "Too early", "unitPrice": "1.00"}

    # The company is known, its plan not yet: no product may be added as if the plan had no maxProducts.
    assert (await catalog.service.get(LIMITS, company_id)).status_code == 503
    refused = await catalog.client.post(PRODUCTS, json=product, headers=catalog.staff(company_id))
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"

    await catalog.deliver(trial_started(company_id, limits=plan_limits(1)))
    assert (await catalog.client.post(PRODUCTS, json=product, headers=catalog.staff(company_id))).status_code == 201
    over = {"sku": "EARLY-2", "name": "Over the limit", "unitPrice": "1.00"}
    assert (await catalog.client.post(PRODUCTS, json=over, headers=catalog.staff(company_id))).status_code == 402


async def test_limits_without_context_are_refused(catalog: Catalog) -> None:
    response = await catalog.client.get(LIMITS)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_limits_without_a_company_in_context_are_refused(catalog: Catalog) -> None:
    response = await catalog.service.get(LIMITS, None)

    assert response.status_code == 401
