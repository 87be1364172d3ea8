"""Building the events raised about price overrides (their classes are in `contracts.catalog`)."""

import uuid
from collections.abc import Iterable

from contracts.catalog import PRICE_OVERRIDE_ENTITY, PriceOverrideRemoved
from kit.events import EntityRef, Event
from services.catalog.price_overrides.repository import RemovedOverride


def price_override_entity(override_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type=PRICE_OVERRIDE_ENTITY, id=str(override_id), version=version)


def price_override_removals(removed: Iterable[RemovedOverride]) -> list[tuple[Event, EntityRef]]:
    """PriceOverrideRemoved for each deleted override, at the version after its last, ready for `emit_many`."""
    return [
        (
            PriceOverrideRemoved(id=override.id, customer_id=override.customer_id, product_id=override.product_id),
            price_override_entity(override.id, override.version + 1),
        )
        for override in removed
    ]
