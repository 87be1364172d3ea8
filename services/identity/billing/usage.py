"""Usage identity does not count itself, taken from the events of the services that do (catalog's products)."""

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.consumer import EventConsumer
from kit.events import EventEnvelope
from kit.schemas import CamelModel
from services.identity.billing import service


class ActiveProducts(CamelModel):
    """The part of catalog's product events identity reads: the company's active products after the change."""

    active_products: int


# Catalog's events that change how many active products a company has.
PRODUCT_COUNT_EVENTS = ("ProductCreated", "ProductArchived", "ProductRestored", "ProductDeleted", "ProductsImported")


def register(consumer: EventConsumer) -> None:
    consumer.on(*PRODUCT_COUNT_EVENTS)(on_product_count_changed)


async def on_product_count_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
    if envelope.company_id is None:
        raise ValueError(f"{envelope.type} event {envelope.id} has no companyId")
    try:
        count = ActiveProducts.model_validate(envelope.data).active_products
    except ValidationError as error:
        raise ValueError(f"{envelope.type} event {envelope.id} has no activeProducts") from error
    await service.record_usage(session, envelope.company_id, service.PRODUCTS_METRIC, count, envelope.occurred_at)
