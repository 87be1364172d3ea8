"""Rules of catalog's customer read model: apply identity's facts once, the newest version wins, deletion is
final (a deleted customer's version is the highest it ever has)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import CustomerCreated, CustomerDeleted, CustomerUpdated
from kit.consumer import newest_per_entity
from kit.context import RequestContext
from kit.db import utcnow
from kit.events import EventEnvelope
from kit.outbox import emit_many
from services.catalog.customers.repository import apply_customer_states
from services.catalog.price_overrides.events import price_override_removals
from services.catalog.price_overrides.repository import PriceOverrideRepository
from services.catalog.tenants.service import company_id_of, version_of


async def record_customers(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Each customer's newest event of the batch, in one statement; then a deletion's price overrides go.

    A deleted customer stays as a tombstone (no email or name), so an older event arriving late cannot
    bring it back. The tombstone is written first: it waits for a price override being set for the
    customer to commit (that request share-locks the customer), so the removal below takes that one too.
    """
    newest = newest_per_entity(events)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    deletions: list[EventEnvelope] = []
    for envelope in newest:
        row: dict[str, Any] = {
            "id": None,
            "company_id": company_id_of(envelope),
            "version": version_of(envelope),
            "updated_at": now,
        }
        if envelope.type == CustomerDeleted.event_type:
            removal = CustomerDeleted.model_validate(envelope.data)
            row |= {"id": removal.id, "email": None, "name": None, "deleted_at": envelope.occurred_at}
            deletions.append(envelope)
        else:
            event_class = CustomerCreated if envelope.type == CustomerCreated.event_type else CustomerUpdated
            customer = event_class.model_validate(envelope.data)
            row |= {"id": customer.id, "email": customer.email, "name": customer.name, "deleted_at": None}
        rows.append(row)
    await apply_customer_states(session, rows)
    for deletion in deletions:
        await _remove_overrides(session, deletion)


async def _remove_overrides(session: AsyncSession, deletion: EventEnvelope) -> None:
    """Remove the deleted customer's price overrides; each raises PriceOverrideRemoved, attributed to whoever
    deleted the customer. Idempotent: a redelivered deletion finds nothing left to remove."""
    company_id = company_id_of(deletion)
    customer_id = CustomerDeleted.model_validate(deletion.data).id
    removed = await PriceOverrideRepository(session, company_id).delete_for_customer(customer_id)
    # The deletion's request id and IP travel on, so the audit log ties the removals to it.
    context = RequestContext(
        company_id=company_id,
        client_ip=deletion.ip_address,
        request_id=deletion.request_id or deletion.id.hex,
    )
    await emit_many(
        session, price_override_removals(removed), company_id=company_id, context=context, actor=deletion.actor
    )
