"""A deleted company's orders rows all go, through the kit's purge — read models, orders, their lines and
history, counters, carts — and every other company's stay."""

import uuid

from kit.purge import unlisted_tables
from kit.settings import PlatformSettings
from services.orders.app import SPEC
from tests.contracts.envelopes import company_deleted, customer_created, price_override_removed
from tests.orders.ordering import Shop, billing_profile_changed, open_shop
from tests.support.events import publish_event, wait_until
from tests.support.purge import company_rows
from tests.support.services import RunningService


def test_every_orders_table_with_company_rows_is_in_the_purge_plan() -> None:
    assert SPEC.purge is not None
    assert unlisted_tables(SPEC.metadata, SPEC.purge) == []


async def shop_with_everything(orders: RunningService, platform: PlatformSettings) -> Shop:
    """A company with rows in every orders table: its tenant (with its billing profile) and read models (from
    events), an order (its lines, history and the counter), a cart, an outbox event, and a price override removed
    since (a tombstone)."""
    shop = await open_shop(orders, platform)
    placed = await shop.placed(shop.order_body((0, 2), (1, 1)))
    assert (await shop.post(f"/api/v1/orders/{placed['id']}/status", {"status": "CONFIRMED"})).status_code == 200
    assert (await shop.put_in_cart(shop.products[2], 3)).status_code == 200
    override_id = uuid.uuid4()
    await shop.publish(
        billing_profile_changed(shop.company_id),
        customer_created(shop.company_id, uuid.uuid4(), name="Second customer"),
        price_override_removed(
            shop.company_id, override_id, customer_id=shop.customer_id, product_id=shop.products[1], version=2
        ),
    )
    return shop


async def test_a_deleted_company_s_rows_are_purged_from_every_table_and_others_stay(
    orders: RunningService, platform: PlatformSettings
) -> None:
    url = orders.database.url
    deleted = await shop_with_everything(orders, platform)
    kept = await shop_with_everything(orders, platform)
    before = await company_rows(url, deleted.company_id)
    kept_before = await company_rows(url, kept.company_id)
    assert SPEC.purge is not None
    assert all(before[table] > 0 for table in SPEC.purge.tables), before

    # Published, not delivered-and-awaited: the purge also removes the record that the event was processed.
    await publish_event(platform, company_deleted(deleted.company_id, name=deleted.name, slug="gone", version=2))

    async def purged() -> dict[str, int] | None:
        counts = await company_rows(url, deleted.company_id)
        return counts if not any(counts.values()) else None

    await wait_until(purged, what="the deleted company's orders rows to be purged")
    assert await company_rows(url, kept.company_id) == kept_before
    # The other company still orders as before.
    assert (await kept.get("/api/v1/orders")).status_code == 200
    await kept.placed()
