"""The documents an order's steps issue, in the step's own transaction: its invoice when confirmed (orders with a
customer only: an internal order has nobody to bill), its packing list when shipped, and a VOID copy of its
invoice when a confirmed order is cancelled.

`services.orders.orders.service` calls these with the order as the step left it; nothing here imports it back.
A PDF is rendered off the event loop, then stored in chunks like an upload, with its `DocumentIssued`.
"""

import asyncio
import hashlib
import uuid
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.documents import DOCUMENT_ENTITY, DocumentIssued, DocumentKind, DocumentVoided
from contracts.orders import OrderStatus
from kit.context import RequestContext
from kit.db import new_id, utcnow
from kit.events import EntityRef
from kit.outbox import emit
from services.orders.directory.repository import CustomerReader
from services.orders.directory.service import customer_addresses
from services.orders.documents.pdf import (
    DocumentLine,
    InvoiceContent,
    PackingListContent,
    Party,
    VoidMark,
    party_address_lines,
    render_invoice,
    render_packing_list,
)
from services.orders.documents.repository import (
    ORIGINAL_COPY,
    VOID_COPY,
    DocumentRepository,
    take_invoice_number,
)
from services.orders.models import Tenant
from services.orders.orders.schemas import OrderRead
from services.orders.tenants.service import get_tenant

PDF = "application/pdf"


def invoice_number(number: int) -> str:
    return f"INV-{number:06d}"


def document_entity(document_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type=DOCUMENT_ENTITY, id=str(document_id), version=version)


async def on_status_changed(session: AsyncSession, context: RequestContext, order: OrderRead) -> None:
    """Issue what the order's new status calls for: an invoice on CONFIRMED, a packing list on SHIPPED."""
    if order.status is OrderStatus.CONFIRMED and order.customer_id is not None:
        await issue_invoice(session, context, order)
    elif order.status is OrderStatus.SHIPPED:
        await issue_packing_list(session, context, order)


# -- what the PDFs say --------------------------------------------------------------------------------


def seller_party(tenant: Tenant, *, on_invoice: bool) -> Party:
    """The company as the seller on its documents: its billing profile's legal name and address, and on an invoice
    its tax ID (if any) and billing email. Until identity has sent a profile, the company's name alone."""
    profile = tenant.billing_profile
    if profile is None:
        return Party(name=tenant.name or "", lines=[])
    address = {
        "line1": profile["addressLine1"],
        "line2": profile.get("addressLine2"),
        "city": profile["city"],
        "region": profile.get("region"),
        "postalCode": profile["postalCode"],
        "country": profile["country"],
    }
    lines = party_address_lines(address)
    if on_invoice:
        if profile.get("taxId"):
            lines.append(f"Tax ID: {profile['taxId']}")
        lines.append(profile["email"])
    return Party(name=profile["legalName"], lines=lines)


def _ship_to(order: OrderRead) -> Party | None:
    if order.shipping_address is None:
        return None
    fields = order.shipping_address.model_dump(mode="json", by_alias=True)
    name = order.customer_name or order.shipping_address.recipient or ""
    lines = party_address_lines(fields)
    return Party(name=name, lines=lines)


async def _bill_to(session: AsyncSession, company_id: uuid.UUID, order: OrderRead, customer_id: uuid.UUID) -> Party:
    """The customer by name and email, at its default address if it has one, else where the order ships."""
    customer = await CustomerReader(session, company_id).get(customer_id)
    name = (customer.name if customer is not None else None) or order.customer_name or ""
    addresses = await customer_addresses(session, company_id, customer_id)
    default = next((fields for _id, fields in addresses if fields.get("isDefault")), None)
    if default is None and order.shipping_address is not None:
        default = order.shipping_address.model_dump(mode="json", by_alias=True)
    lines = party_address_lines(default) if default is not None else []
    if customer is not None and customer.email:
        lines.append(customer.email)
    return Party(name=name, lines=lines)


# -- issuing ------------------------------------------------------------------------------------------


async def _store(
    session: AsyncSession,
    context: RequestContext,
    order: OrderRead,
    *,
    kind: DocumentKind,
    number: int | None,
    title: str,
    file_name: str,
    content: dict[str, object],
    pdf: bytes,
) -> None:
    """The document's row, its bytes and its `DocumentIssued`, created by whoever took the order's step."""
    company_id = context.require_company()
    repository = DocumentRepository(session, company_id)
    actor = order.status_history[-1].actor
    document_id = new_id()
    sha256 = hashlib.sha256(pdf).hexdigest()
    await repository.insert(
        {
            "id": document_id,
            "kind": kind,
            "number": number,
            "title": title,
            "file_name": file_name,
            "content_type": PDF,
            "size_bytes": len(pdf),
            "sha256": sha256,
            "customer_id": order.customer_id,
            "order_id": order.id,
            "expires_at": None,
            "content": content,
            "version": 1,
            "created_at": utcnow(),
            "created_by_type": actor.type,
            "created_by_id": actor.id,
            "created_by_name": actor.name,
        }
    )
    await repository.add_bytes(document_id, ORIGINAL_COPY, pdf)
    event = DocumentIssued(
        id=document_id,
        kind=kind,
        number=invoice_number(number) if number is not None else None,
        title=title,
        file_name=file_name,
        content_type=PDF,
        size_bytes=len(pdf),
        sha256=sha256,
        customer_id=order.customer_id,
        order_id=order.id,
        order_number=order.number,
    )
    await emit(session, event, company_id=company_id, entity=document_entity(document_id, 1), context=context)


def _document_lines(order: OrderRead, *, priced: bool) -> list[DocumentLine]:
    return [
        DocumentLine(
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_of_sale=line.unit_of_sale,
            unit_price=line.unit_price if priced else None,
            line_total=line.line_total if priced else None,
        )
        for line in order.items
    ]


async def issue_invoice(session: AsyncSession, context: RequestContext, order: OrderRead) -> None:
    """The confirmed order's invoice, numbered INV-000001… per company with no gaps: the number is taken in the
    confirming transaction (see `take_invoice_number`)."""
    if order.customer_id is None:
        return
    company_id = context.require_company()
    step = order.status_history[-1]
    seller = seller_party(await get_tenant(session, company_id), on_invoice=True)
    bill_to = await _bill_to(session, company_id, order, order.customer_id)
    number = await take_invoice_number(session, company_id)
    content = InvoiceContent(
        seller=seller,
        bill_to=bill_to,
        ship_to=_ship_to(order),
        invoice_number=invoice_number(number),
        issued_on=step.at.astimezone(UTC).date(),
        order_number=order.number,
        order_date=order.created_at.astimezone(UTC).date(),
        po_number=order.po_number,
        currency=order.currency,
        lines=_document_lines(order, priced=True),
        subtotal=order.subtotal,
        total=order.total,
    )
    pdf = await asyncio.to_thread(render_invoice, content)
    await _store(
        session,
        context,
        order,
        kind=DocumentKind.INVOICE,
        number=number,
        title=f"Invoice {invoice_number(number)}",
        file_name=f"{invoice_number(number)}.pdf",
        content=content.to_json(),
        pdf=pdf,
    )


async def issue_packing_list(session: AsyncSession, context: RequestContext, order: OrderRead) -> None:
    """The shipped order's packing list: where it goes and what is in it, no prices."""
    company_id = context.require_company()
    step = order.status_history[-1]
    content = PackingListContent(
        seller=seller_party(await get_tenant(session, company_id), on_invoice=False),
        ship_to=_ship_to(order),
        order_number=order.number,
        order_date=order.created_at.astimezone(UTC).date(),
        po_number=order.po_number,
        issued_on=step.at.astimezone(UTC).date(),
        requested_delivery_date=order.requested_delivery_date,
        customer_name=order.customer_name,
        lines=_document_lines(order, priced=False),
    )
    pdf = await asyncio.to_thread(render_packing_list, content)
    await _store(
        session,
        context,
        order,
        kind=DocumentKind.PACKING_LIST,
        number=None,
        title=f"Packing list {order.number}",
        file_name=f"packing-list-{order.number}.pdf",
        content=content.to_json(),
        pdf=pdf,
    )


async def void_invoice(session: AsyncSession, context: RequestContext, order: OrderRead) -> None:
    """The cancelled order's invoice, if it has one, marked void with a VOID copy rendered from the content it was
    issued with; the original's bytes never change."""
    company_id = context.require_company()
    repository = DocumentRepository(session, company_id)
    invoice = await repository.lock_of_order(order.id, DocumentKind.INVOICE)
    if invoice is None or invoice.voided_at is not None or invoice.content is None or invoice.number is None:
        return
    step = order.status_history[-1]
    mark = VoidMark(at=step.at, reason=step.reason)
    pdf = await asyncio.to_thread(render_invoice, InvoiceContent.from_json(invoice.content), void=mark)
    await repository.add_bytes(invoice.id, VOID_COPY, pdf)
    invoice.voided_at = step.at
    invoice.void_reason = step.reason
    invoice.void_copy_size_bytes = len(pdf)
    invoice.void_copy_sha256 = hashlib.sha256(pdf).hexdigest()
    invoice.version += 1
    await session.flush()
    event = DocumentVoided(
        id=invoice.id,
        number=invoice_number(invoice.number),
        order_id=order.id,
        order_number=order.number,
        customer_id=order.customer_id,
        reason=step.reason,
        voided_at=step.at,
    )
    entity = document_entity(invoice.id, invoice.version)
    await emit(session, event, company_id=company_id, entity=entity, context=context)
