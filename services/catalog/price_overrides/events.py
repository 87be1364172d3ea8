"""Events raised about price overrides (entity type `PriceOverride`)."""

import uuid
from collections.abc import Iterable
from typing import ClassVar

from kit.events import EntityRef, Event
from services.catalog.models import PriceOverride
from services.catalog.money import Money

ENTITY_TYPE = "PriceOverride"


def price_override_entity(override_id: uuid.UUID) -> EntityRef:
    return EntityRef(type=ENTITY_TYPE, id=str(override_id))


class PriceOverrideSet(Event):
    """A new override, or a new price for an existing one."""

    event_type: ClassVar[str] = "PriceOverrideSet"

    id: uuid.UUID
    customer_id: uuid.UUID
    product_id: uuid.UUID
    unit_price: Money
    currency: str


class PriceOverrideRemoved(Event):
    """Removed on request, or with its product or customer."""

    event_type: ClassVar[str] = "PriceOverrideRemoved"

    id: uuid.UUID
    customer_id: uuid.UUID
    product_id: uuid.UUID


def price_override_removals(overrides: Iterable[PriceOverride]) -> list[tuple[Event, EntityRef]]:
    """PriceOverrideRemoved for each of `overrides`, ready for `emit_many`."""
    return [
        (
            PriceOverrideRemoved(id=override.id, customer_id=override.customer_id, product_id=override.product_id),
            price_override_entity(override.id),
        )
        for override in overrides
    ]
