"""Orders keeps its tenants (company, monthly order limit, trial end) from identity's events, via RabbitMQ."""

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from kit.db import utcnow
from kit.settings import PlatformSettings
from services.orders.app import SPEC
from services.orders.models import Tenant
from services.orders.tenants.repository import LocalTenantRepository
from services.orders.tenants.service import accepts_orders
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
from tests.support.services import RunningService

LIMITS = "/api/v1/orders/limits"


async def stored_tenant(orders: RunningService, company_id: uuid.UUID) -> Tenant:
    async with orders.database.sessionmaker() as session:
        tenant = await LocalTenantRepository(session, company_id).one()
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
        trial_started(company_id, trial_ends_at=trial_ends_at, limits={**STARTER_LIMITS, "maxOrdersPerMonth": 200}),
    )

    async def limits_known() -> httpx.Response | None:
        response = await orders.get(LIMITS, company_id)
        return response if response.status_code == 200 and response.json()["trialEndsAt"] else None

    body = (await wait_until(limits_known, what="order limits")).json()
    assert datetime.fromisoformat(body.pop("trialEndsAt")) == trial_ends_at
    assert body == {"maxOrdersPerMonth": 200, "ordersThisMonth": 0, "acceptingOrders": True}
    tenant = await stored_tenant(orders, company_id)
    assert (tenant.name, tenant.slug, tenant.plan_code, tenant.subscription_status) == (
        "Acme Distributors",
        "acme-distributors",
        "starter",
        "TRIALING",
    )


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

    paid = subscription_changed(
        company_id, plan_code="growth", status="ACTIVE", limits={**STARTER_LIMITS, "maxOrdersPerMonth": None}
    )
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
    trial = trial_started(company_id, occurred_at=created.occurred_at + timedelta(milliseconds=5))

    await publish_event(platform, trial)
    await wait_until_processed(orders.database, SPEC.metadata, trial)
    await publish_event(platform, created)
    await wait_until_processed(orders.database, SPEC.metadata, created)

    tenant = await stored_tenant(orders, company_id)
    assert (tenant.name, tenant.slug, tenant.max_orders_per_month) == ("Blue Plate", "blue-plate", 200)
    assert (await orders.get(LIMITS, company_id)).json()["acceptingOrders"] is True


async def test_redelivered_event_is_applied_once(orders: RunningService, platform: PlatformSettings) -> None:
    company_id = uuid.uuid4()
    trial = trial_started(company_id)

    await publish_event(platform, company_created(company_id, name="Twice Co", slug="twice-co"), trial, trial)
    await wait_until_processed(orders.database, SPEC.metadata, trial)

    await wait_until_drained(platform, "orders")
    assert await times_processed(orders.database, SPEC.metadata, trial.id) == 1
    assert await dead_lettered(platform, "orders") == 0
    assert (await orders.get(LIMITS, company_id)).json()["maxOrdersPerMonth"] == 200


async def test_older_event_arriving_late_does_not_overwrite_newer_state(
    orders: RunningService, platform: PlatformSettings
) -> None:
    company_id = uuid.uuid4()
    earlier = utcnow() - timedelta(minutes=5)
    created = company_created(company_id, name="Old Name", slug="old-name", occurred_at=earlier)
    trial = trial_started(company_id, occurred_at=earlier)
    renamed = company_updated(company_id, name="New Name", slug="new-name", previous_slug="old-name")
    upgraded = subscription_changed(
        company_id, plan_code="growth", status="ACTIVE", limits={**STARTER_LIMITS, "maxOrdersPerMonth": 5000}
    )

    await publish_event(platform, renamed, upgraded)
    await wait_until_processed(orders.database, SPEC.metadata, renamed, upgraded)
    await publish_event(platform, created, trial)
    await wait_until_processed(orders.database, SPEC.metadata, created, trial)

    body = (await orders.get(LIMITS, company_id)).json()
    assert body == {"maxOrdersPerMonth": 5000, "ordersThisMonth": 0, "trialEndsAt": None, "acceptingOrders": True}
    tenant = await stored_tenant(orders, company_id)
    assert (tenant.name, tenant.slug, tenant.subscription_status) == ("New Name", "new-name", "ACTIVE")


async def test_a_company_orders_has_not_heard_of_yet_is_told_to_retry(
    orders: RunningService, platform: PlatformSettings
) -> None:
    known = uuid.uuid4()
    created = company_created(known, name="Known Co", slug="known-co")
    await publish_event(platform, created)
    await wait_until_processed(orders.database, SPEC.metadata, created)

    response = await orders.get(LIMITS, uuid.uuid4())

    # Just after signup, before the company's first events arrive: a moment's wait, not an error.
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert (await orders.get(LIMITS, known)).status_code == 200


async def test_limits_without_context_are_refused(orders: RunningService) -> None:
    response = await orders.client.get(LIMITS)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_limits_without_a_company_in_context_are_refused(orders: RunningService) -> None:
    assert (await orders.get(LIMITS, None)).status_code == 401
