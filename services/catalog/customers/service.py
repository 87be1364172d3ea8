"""Rules of catalog's customer read model: apply identity's facts once, newest wins, deletion is final."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.consumer import superseded
from kit.context import RequestContext
from kit.events import EventEnvelope
from kit.outbox import emit_many
from services.catalog.customers.repository import CustomerRepository
from services.catalog.customers.schemas import CustomerFacts
from services.catalog.price_overrides.events import price_override_removals
from services.catalog.price_overrides.repository import PriceOverrideRepository


async def record_customer(
    session: AsyncSession, company_id: uuid.UUID, facts: CustomerFacts, occurred_at: datetime
) -> None:
    customer = await CustomerRepository(session, company_id).lock_or_create(unique=("id",), id=facts.id)
    # A deleted customer stays deleted, even when an older event about it arrives late.
    if customer.deleted_at is not None or superseded(customer.updated_from_event_at, occurred_at):
        return
    customer.email = facts.email
    customer.name = facts.name
    customer.updated_from_event_at = occurred_at


async def remove_customer(
    session: AsyncSession, company_id: uuid.UUID, customer_id: uuid.UUID, *, cause: EventEnvelope
) -> None:
    """Keep a tombstone of the customer (no email or name) and remove its price overrides.

    Each removed override raises PriceOverrideRemoved, attributed to whoever deleted the customer.
    """
    customer = await CustomerRepository(session, company_id).lock_or_create(unique=("id",), id=customer_id)
    if customer.deleted_at is None:
        customer.deleted_at = cause.occurred_at
    customer.email = None
    customer.name = None
    overrides = PriceOverrideRepository(session, company_id)
    removed = await overrides.for_customer(customer_id)
    await overrides.delete_for_customer(customer_id)
    # The deletion's request id and IP travel on, so the audit log ties the removals to it.
    context = RequestContext(
        company_id=company_id,
        client_ip=cause.ip_address,
        request_id=cause.request_id or cause.id.hex,
    )
    await emit_many(
        session, price_override_removals(removed), company_id=company_id, context=context, actor=cause.actor
    )
