"""Orders keeps its tenants (company, monthly order limit, trial end, billing profile) from identity's events, via
RabbitMQ, newest entity version first; a deleted company's tenant is purged."""

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from contracts.identity import PlanLimits
from kit.db import utcnow
from kit.settings import PlatformSettings
from services.orders.app import SPEC
from services.orders.models import Tenant
from services.orders.tenants.repository import LocalTenantRepository
from services.orders.tenants.service import accepts_orders
from tests.contracts.envelopes import (
    STARTER_LIMITS,
    company_created,
    company_deleted,
    company_updated,
    subscription_changed,
    trial_started,
)
from tests.orders.ordering import billing_profile_changed
from tests.support.events import (
    dead_lettered,
    publish_event,
    times_processed,
    wait_until,
    wait_until_drained,
    wait_until_processed,
)
from tests.support.purge import company_rows
from tests.support.services import RunningService

LIMITS = "/api/v1/orders/limits"
UNLIMITED_ORDERS = STARTER_LIMITS.model_copy(update={"max_orders_per_month": None})


def orders_limit(limit: int | None) -> PlanLimits:
    return STARTER_LIMITS.model_copy(update={"max_orders_per_month": limit})


async def stored_tenant(orders: RunningService, company_id: uuid.UUID) -> Tenant | None:
    async with orders.database.sessionmaker() as session:
        return await LocalTenantRepository(session, company_id).one()


async def known_tenant(orders: RunningService, company_id: uuid.UUID) -> Tenant:
    tenant = await stored_tenant(orders, company_id)
    assert tenant is not None
    return tenant


async def test_new_company_on_trial_accepts_orders_up_to_its_limit(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    trial_ends_at = utcnow() + timedelta(days=14)
    await publish_event(
        platform,
        company_created(company_id, name="Acme Distributors", slug="acme-distributors"),
        trial_started(company_id, trial_ends_at=trial_ends_at, limits=orders_limit(200)),
    )

    async def limits_known() -> httpx.Response | None:
        response = await orders.get(LIMITS, company_id)
        return response if response.status_code == 200 and response.json()["trialEndsAt"] else None

    body = (await wait_until(limits_known, what="order limits")).json()
    assert datetime.fromisoformat(body.pop("trialEndsAt")) == trial_ends_at
    assert body == {"maxOrdersPerMonth": 200, "ordersThisMonth": 0, "acceptingOrders": True}
    tenant = await known_tenant(orders, company_id)
    assert (tenant.name, tenant.slug, tenant.plan_code, tenant.subscription_status) == (
        "Acme Distributors",
        "acme-distributors",
        "starter",
        "TRIALING",
    )
    assert (tenant.company_version, tenant.subscription_version) == (1, 1)


async def test_expired_trial_stops_accepting_orders_until_a_plan_is_chosen(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    started = utcnow() - timedelta(days=15)
    trial = trial_started(company_id, trial_ends_at=started + timedelta(days=14), occurred_at=started)
    await publish_event(
        platform, company_created(company_id, name="Late Co", slug="late-co", occurred_at=started), trial
    )
    await wait_until_processed(orders.database, SPEC.metadata, trial)

    assert (await orders.get(LIMITS, company_id)).json()["acceptingOrders"] is False

    paid = subscription_changed(company_id, version=2, plan_code="growth", status="ACTIVE", limits=UNLIMITED_ORDERS)
    await publish_event(platform, paid)
    await wait_until_processed(orders.database, SPEC.metadata, paid)

    body = (await orders.get(LIMITS, company_id)).json()
    assert body == {"maxOrdersPerMonth": None, "ordersThisMonth": 0, "trialEndsAt": None, "acceptingOrders": True}


@pytest.mark.parametrize(
    ("status", "trial_ends_in", "accepting"),
    [
        ("TRIALING", timedelta(days=1), True),
        ("TRIALING", timedelta(seconds=-1), False),
        ("ACTIVE", None, True),
        ("PAST_DUE", None, True),
        ("CANCELED", None, False),
        (None, None, False),
    ],
)
def test_orders_are_accepted_on_a_running_trial_or_a_paid_plan(
    status: str | None, trial_ends_in: timedelta | None, accepting: bool
) -> None:
    now = utcnow()
    tenant = Tenant(
        company_id=uuid.uuid4(),
        subscription_status=status,
        trial_ends_at=now + trial_ends_in if trial_ends_in is not None else None,
    )

    assert accepts_orders(tenant, now) is accepting


async def test_trial_started_before_company_created_still_ends_complete(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Blue Plate", slug="blue-plate")
    trial = trial_started(company_id)

    await publish_event(platform, trial)
    await wait_until_processed(orders.database, SPEC.metadata, trial)
    # Half known is not known: a moment's wait, never "not taking orders".
    early = await orders.get(LIMITS, company_id)
    assert (early.status_code, early.headers["retry-after"]) == (503, "1")
    await publish_event(platform, created)
    await wait_until_processed(orders.database, SPEC.metadata, created)

    tenant = await known_tenant(orders, company_id)
    assert (tenant.name, tenant.slug, tenant.max_orders_per_month) == ("Blue Plate", "blue-plate", 200)
    assert (await orders.get(LIMITS, company_id)).json()["acceptingOrders"] is True


async def test_redelivered_event_is_applied_once(orders: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    trial = trial_started(company_id)
    dead_before = await dead_lettered(platform, "orders")

    await publish_event(platform, company_created(company_id, name="Twice Co", slug="twice-co"), trial, trial)
    await wait_until_processed(orders.database, SPEC.metadata, trial)

    await wait_until_drained(platform, "orders")
    assert await times_processed(orders.database, SPEC.metadata, trial.id) == 1
    assert await dead_lettered(platform, "orders") == dead_before
    assert (await orders.get(LIMITS, company_id)).json()["maxOrdersPerMonth"] == 200


async def test_older_versions_arriving_after_newer_ones_change_nothing(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    created = company_created(company_id, name="Old Name", slug="old-name")
    trial = trial_started(company_id)
    renamed = company_updated(company_id, name="New Name", slug="new-name", previous_slug="old-name", version=2)
    upgraded = subscription_changed(
        company_id, version=2, plan_code="growth", status="ACTIVE", limits=orders_limit(5000)
    )

    await publish_event(platform, renamed, upgraded)
    await wait_until_processed(orders.database, SPEC.metadata, renamed, upgraded)
    await publish_event(platform, created, trial)
    await wait_until_processed(orders.database, SPEC.metadata, created, trial)

    body = (await orders.get(LIMITS, company_id)).json()
    assert body == {"maxOrdersPerMonth": 5000, "ordersThisMonth": 0, "trialEndsAt": None, "acceptingOrders": True}
    tenant = await known_tenant(orders, company_id)
    assert (tenant.name, tenant.slug, tenant.subscription_status) == ("New Name", "new-name", "ACTIVE")
    assert (tenant.company_version, tenant.subscription_version) == (2, 2)


async def test_shuffled_and_duplicated_events_delivered_together_end_at_the_newest_version(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    versions = [
        company_created(company_id, name="Name 1", slug="name-1"),
        company_updated(company_id, name="Name 2", slug="name-2", previous_slug="name-1", version=2),
        company_updated(company_id, name="Name 3", slug="name-3", previous_slug="name-2", version=3),
    ]
    plans = [
        trial_started(company_id, limits=orders_limit(10)),
        subscription_changed(company_id, version=2, plan_code="growth", status="ACTIVE", limits=orders_limit(20)),
        subscription_changed(company_id, version=3, plan_code="scale", status="ACTIVE", limits=orders_limit(30)),
    ]
    shuffled = [versions[2], plans[1], versions[0], plans[2], versions[2], plans[0], versions[1], plans[2]]

    # Published at once: the worker takes them in one batch or a few, newest first within each.
    await publish_event(platform, *shuffled)
    await wait_until_processed(orders.database, SPEC.metadata, *shuffled)

    tenant = await known_tenant(orders, company_id)
    assert (tenant.name, tenant.slug, tenant.company_version) == ("Name 3", "name-3", 3)
    assert (tenant.plan_code, tenant.max_orders_per_month, tenant.subscription_version) == ("scale", 30, 3)
    assert await times_processed(orders.database, SPEC.metadata, versions[2].id) == 1


async def test_the_version_decides_not_the_producers_clock(orders: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    now = utcnow()
    # Two identity replicas with skewed clocks: the later change carries the earlier timestamp.
    first = company_created(company_id, name="First", slug="first", occurred_at=now)
    second = company_updated(
        company_id, name="Second", slug="second", previous_slug="first", version=2, occurred_at=now - timedelta(hours=1)
    )

    await publish_event(platform, first)
    await wait_until_processed(orders.database, SPEC.metadata, first)
    await publish_event(platform, second)
    await wait_until_processed(orders.database, SPEC.metadata, second)

    tenant = await known_tenant(orders, company_id)
    assert (tenant.name, tenant.company_version) == ("Second", 2)


async def test_an_event_without_an_entity_version_is_dead_lettered_not_applied(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    unversioned = company_created(company_id, name="No Version", slug="no-version")
    unversioned.entity.version = None
    marker = company_created(uuid.uuid4(), name="Marker", slug="marker")
    dead_before = await dead_lettered(platform, "orders")

    await publish_event(platform, unversioned, marker)
    await wait_until_processed(orders.database, SPEC.metadata, marker)

    async def parked() -> bool:
        return await dead_lettered(platform, "orders") > dead_before

    await wait_until(parked, what="the unversioned event in the dead-letter queue")
    assert await times_processed(orders.database, SPEC.metadata, unversioned.id) == 0
    assert await stored_tenant(orders, company_id) is None


async def test_a_deleted_company_is_purged_and_another_company_keeps_its_tenant(
    orders: RunningService, platform: PlatformSettings
) -> None:
    deleted, kept = uuid.uuid4(), uuid.uuid4()
    setup = [
        company_created(deleted, name="Gone Co", slug="gone-co"),
        trial_started(deleted),
        company_created(kept, name="Kept Co", slug="kept-co"),
        trial_started(kept),
    ]
    await publish_event(platform, *setup)
    await wait_until_processed(orders.database, SPEC.metadata, *setup)
    kept_before = await company_rows(orders.database.url, kept)
    assert kept_before["tenants"] == 1
    assert kept_before["processed_events"] == 2

    await publish_event(platform, company_deleted(deleted, name="Gone Co", slug="gone-co", version=2))

    async def purged() -> bool:
        return set((await company_rows(orders.database.url, deleted)).values()) == {0}

    await wait_until(purged, what="the deleted company's rows to be purged")
    assert await stored_tenant(orders, deleted) is None
    assert (await orders.get(LIMITS, deleted)).status_code == 503
    assert await company_rows(orders.database.url, kept) == kept_before
    assert (await orders.get(LIMITS, kept)).status_code == 200


# -- billing profiles -------------------------------------------------------------------------------

PROFILE_FIELDS = {
    "legalName": "Acme Wholesale LLC",
    "email": "billing@acme-wholesale.test",
    "addressLine1": "500 Market St",
    "addressLine2": "Suite 200",
    "city": "San Francisco",
    "region": "CA",
    "postalCode": "94105",
    "country": "US",
    "taxId": "EIN 12-3456789",
}


async def test_a_billing_profile_arriving_before_the_company_is_kept_when_the_company_follows(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    profile = billing_profile_changed(company_id)

    await publish_event(platform, profile)
    await wait_until_processed(orders.database, SPEC.metadata, profile)
    early = await known_tenant(orders, company_id)
    assert (early.billing_profile, early.billing_profile_version) == (PROFILE_FIELDS, 1)
    assert (early.name, early.company_version, early.subscription_version) == (None, 0, 0)
    # A profile alone does not make the company known.
    assert (await orders.get(LIMITS, company_id)).status_code == 503
    rest = [company_created(company_id, name="Acme", slug="acme"), trial_started(company_id)]
    await publish_event(platform, *rest)
    await wait_until_processed(orders.database, SPEC.metadata, *rest)

    tenant = await known_tenant(orders, company_id)
    assert (tenant.name, tenant.company_version, tenant.subscription_version) == ("Acme", 1, 1)
    assert (tenant.billing_profile, tenant.billing_profile_version) == (PROFILE_FIELDS, 1)
    assert (await orders.get(LIMITS, company_id)).status_code == 200


async def test_an_older_billing_profile_arriving_after_a_newer_one_changes_nothing(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    first = billing_profile_changed(company_id, version=1)
    second = billing_profile_changed(company_id, version=2, legal_name="Acme Holdings Inc.", tax_id=None)
    await publish_event(platform, company_created(company_id, name="Acme", slug="acme"), second)
    await wait_until_processed(orders.database, SPEC.metadata, second)

    await publish_event(platform, first)
    await wait_until_processed(orders.database, SPEC.metadata, first)

    tenant = await known_tenant(orders, company_id)
    assert tenant.billing_profile == PROFILE_FIELDS | {"legalName": "Acme Holdings Inc.", "taxId": None}
    assert tenant.billing_profile_version == 2
    # The profile's version is its own: the company's stays where its events left it.
    assert (tenant.name, tenant.company_version) == ("Acme", 1)


async def test_billing_profiles_shuffled_and_repeated_in_one_delivery_end_at_the_newest_applied_once(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    versions = [
        billing_profile_changed(company_id, version=version, legal_name=f"Name {version}") for version in (1, 2, 3)
    ]
    shuffled = [versions[2], versions[0], versions[2], versions[1], versions[2]]
    dead_before = await dead_lettered(platform, "orders")

    await publish_event(platform, *shuffled)
    await wait_until_processed(orders.database, SPEC.metadata, *shuffled)

    tenant = await known_tenant(orders, company_id)
    assert tenant.billing_profile == PROFILE_FIELDS | {"legalName": "Name 3"}
    assert tenant.billing_profile_version == 3
    await wait_until_drained(platform, "orders")
    assert await times_processed(orders.database, SPEC.metadata, versions[2].id) == 1
    assert await dead_lettered(platform, "orders") == dead_before


async def test_a_deleted_company_s_billing_profile_is_purged_and_a_late_one_does_not_bring_it_back(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    setup = [
        company_created(company_id, name="Gone Co", slug="gone-co"),
        trial_started(company_id),
        billing_profile_changed(company_id, version=1),
    ]
    await publish_event(platform, *setup)
    await wait_until_processed(orders.database, SPEC.metadata, *setup)
    assert (await known_tenant(orders, company_id)).billing_profile == PROFILE_FIELDS

    await publish_event(platform, company_deleted(company_id, name="Gone Co", slug="gone-co", version=2))

    async def purged() -> bool:
        return set((await company_rows(orders.database.url, company_id)).values()) == {0}

    await wait_until(purged, what="the deleted company's rows to be purged")
    late = billing_profile_changed(company_id, version=2, legal_name="Gone Co Ltd")
    marker = company_created(uuid.uuid4(), name="Marker", slug="marker")
    # In order on the one queue: once the marker is processed, the late profile was handled before it.
    await publish_event(platform, late, marker)
    await wait_until_processed(orders.database, SPEC.metadata, marker)
    assert await stored_tenant(orders, company_id) is None
    assert set((await company_rows(orders.database.url, company_id)).values()) == {0}


async def test_limits_without_context_are_refused(orders: RunningService) -> None:
    response = await orders.client.get(LIMITS)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_limits_without_a_company_in_context_are_refused(orders: RunningService) -> None:
    assert (await orders.get(LIMITS, None)).status_code == 401
