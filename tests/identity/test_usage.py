"""Identity's view of usage it does not count itself: active products, as catalog's events report them."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from kit.db import utcnow
from kit.events import Actor, EntityRef, EventEnvelope
from tests.identity.conftest import Identity
from tests.support.events import publish_event, wait_for_consumer, wait_until


def product_event(
    company_id: str, event_type: str, active_products: int, occurred_at: datetime | None = None
) -> EventEnvelope:
    product_id = str(uuid.uuid4())
    return EventEnvelope(
        type=event_type,
        version=1,
        occurred_at=occurred_at or utcnow(),
        company_id=uuid.UUID(company_id),
        actor=Actor(type="USER", id=uuid.uuid4()),
        entity=EntityRef(type="Product", id=product_id),
        data={"id": product_id, "sku": "A-1", "activeProducts": active_products},
    )


async def products_in_use(identity: Identity, account: dict[str, Any]) -> int:
    response = await identity.client.get("/api/v1/subscription", headers=identity.owner_of(account))
    assert response.status_code == 200, response.text
    products: int = response.json()["usage"]["products"]
    return products


async def test_catalogs_product_events_set_the_companys_product_usage(identity: Identity) -> None:
    account = await identity.signup()
    company_id = account["company"]["id"]
    await wait_for_consumer(identity.platform, "identity")
    assert await products_in_use(identity, account) == 0

    await publish_event(identity.platform, product_event(company_id, "ProductCreated", 1))
    await publish_event(identity.platform, product_event(company_id, "ProductsImported", 41))

    async def imported() -> bool:
        return await products_in_use(identity, account) == 41

    await wait_until(imported, what="usage.products to reach 41")


async def test_an_older_count_arriving_late_does_not_move_usage_back(identity: Identity) -> None:
    account = await identity.signup()
    company_id = account["company"]["id"]
    await wait_for_consumer(identity.platform, "identity")
    now = utcnow()

    await publish_event(identity.platform, product_event(company_id, "ProductArchived", 7, now))
    await wait_until(lambda: _usage_is(identity, account, 7), what="usage.products to reach 7")
    late = product_event(company_id, "ProductCreated", 8, now - timedelta(seconds=5))
    newer = product_event(company_id, "ProductRestored", 9, now + timedelta(seconds=5))
    await publish_event(identity.platform, late, newer)

    await wait_until(lambda: _usage_is(identity, account, 9), what="usage.products to reach 9")


async def test_events_of_a_company_identity_does_not_know_are_dropped(identity: Identity) -> None:
    account = await identity.signup()
    await wait_for_consumer(identity.platform, "identity")

    await publish_event(identity.platform, product_event(str(uuid.uuid4()), "ProductCreated", 3))
    await publish_event(identity.platform, product_event(account["company"]["id"], "ProductCreated", 2))

    # The unknown company's event is consumed without effect (no error, no dead letter); ours follows it.
    await wait_until(lambda: _usage_is(identity, account, 2), what="usage.products to reach 2")


async def _usage_is(identity: Identity, account: dict[str, Any], expected: int) -> bool:
    return await products_in_use(identity, account) == expected
