"""Invoices and packing lists issued with an order's steps: an invoice when a customer's order is confirmed
(numbered INV-000001… per company, with no gaps even when orders are confirmed at once), a packing list when it
ships, a VOID copy when a confirmed order is cancelled; the company's billing profile as their seller, as it was
when each was issued; read back from the PDFs themselves."""

import asyncio
import hashlib
import io
import re
import uuid
from typing import Any

import httpx
import pytest
from babel.numbers import format_currency
from pypdf import PdfReader
from sqlalchemy import select

from contracts.identity import BillingProfileChanged
from kit.settings import PlatformSettings
from services.orders.app import SPEC
from services.orders.documents.issuing import seller_party
from services.orders.documents.pdf import Party
from services.orders.models import Tenant
from services.orders.tenants.service import billing_profile_fields
from tests.contracts.envelopes import customer_email
from tests.orders.ordering import (
    BILLING_PROFILE_LINES,
    ORDERS,
    Shop,
    billing_profile_changed,
    open_shop,
)
from tests.support.services import RunningService

DOCUMENTS = "/api/v1/documents"
STORE_DOCUMENTS = "/storefront/documents"
PROBLEM = "application/problem+json"


@pytest.fixture
async def shop(orders: RunningService, platform: PlatformSettings) -> Shop:
    return await open_shop(orders, platform)


async def move(shop: Shop, order: dict[str, Any], status: str) -> dict[str, Any]:
    response = await shop.post(f"{ORDERS}/{order['id']}/status", {"status": status})
    assert response.status_code == 200, response.text
    moved: dict[str, Any] = response.json()
    return moved


async def order_documents(shop: Shop, order: dict[str, Any]) -> list[dict[str, Any]]:
    response = await shop.get(f"{ORDERS}/{order['id']}/documents")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def the_document(shop: Shop, order: dict[str, Any], kind: str) -> dict[str, Any]:
    (document,) = [document for document in await order_documents(shop, order) if document["kind"] == kind]
    return document


async def download(shop: Shop, path: str, headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
    return await shop.get(path, headers, **params)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_lines(content: bytes) -> list[str]:
    return [line.strip() for line in pdf_text(content).splitlines() if line.strip()]


def contains_run(lines: list[str], run: list[str]) -> bool:
    return any(lines[start : start + len(run)] == run for start in range(len(lines) - len(run) + 1))


def pdf_title(content: bytes) -> str | None:
    metadata = PdfReader(io.BytesIO(content)).metadata
    return None if metadata is None else metadata.title


def money(amount: str, currency: str) -> str:
    return format_currency(amount, currency, locale="en_US")


async def invoice_counter(shop: Shop) -> int | None:
    counters = SPEC.metadata.tables["document_counters"]
    statement = select(counters.c.last_invoice_number).where(counters.c.company_id == shop.company_id)
    async with shop.orders.database.sessionmaker() as session:
        value = await session.scalar(statement)
    return None if value is None else int(value)


async def test_confirming_a_customer_order_issues_its_invoice_with_every_fact_of_the_order(shop: Shop) -> None:
    body = shop.order_body((0, 2), (1, 3), shippingAddressId=str(shop.other_address_id), poNumber="PO-7781")
    order = await shop.placed(body)

    await move(shop, order, "CONFIRMED")

    invoice = await the_document(shop, order, "INVOICE")
    assert {key: invoice[key] for key in ("number", "title", "fileName", "contentType", "orderNumber")} == {
        "number": "INV-000001",
        "title": "Invoice INV-000001",
        "fileName": "INV-000001.pdf",
        "contentType": "application/pdf",
        "orderNumber": "SO-000001",
    }
    assert invoice["customerId"] == str(shop.customer_id)
    assert invoice["customerName"] == "Corner Grocery"
    assert invoice["orderId"] == order["id"]
    assert invoice["createdBy"] == {"type": "USER", "id": str(shop.user_id), "name": "Olive Owner"}
    assert invoice["voidedAt"] is None
    assert (await shop.get(f"{DOCUMENTS}/{invoice['id']}")).json() == invoice

    response = await download(shop, f"{DOCUMENTS}/{invoice['id']}/download")
    assert response.status_code == 200, response.text
    content = response.content
    assert response.headers["content-type"] == "application/pdf"
    assert int(response.headers["content-length"]) == len(content) == invoice["sizeBytes"]
    assert hashlib.sha256(content).hexdigest() == invoice["sha256"]
    assert response.headers["etag"] == f'"{invoice["sha256"]}"'
    assert response.headers["content-disposition"].startswith('attachment; filename="INV-000001.pdf"')
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    assert pdf_title(content) == "Invoice INV-000001"

    text = pdf_text(content)
    currency = order["currency"]
    for expected in (
        "INV-000001",
        "SO-000001",
        "PO-7781",
        shop.name,
        "Corner Grocery",
        customer_email(shop.customer_id),
        # Billed at the customer's default address, shipped to the one the order names.
        "1 Main St",
        "9 Side St",
        money("16.00", currency),
        money("76.50", currency),
        money("92.50", currency),
    ):
        assert expected in text, expected
    # Each line: SKU, name, quantity, unit price and line total, in that order.
    flat = " ".join(text.split())
    assert re.search(
        rf"SKU-0 Product 0 2 .*?{re.escape(money('8.00', currency))} {re.escape(money('16.00', currency))}", flat
    )
    assert re.search(
        rf"SKU-1 Product 1 3 .*?{re.escape(money('25.50', currency))} {re.escape(money('76.50', currency))}", flat
    )

    (issued,) = await shop.outbox("DocumentIssued")
    assert issued.entity.type == "Document"
    assert issued.entity.version == 1
    assert issued.data == {
        "id": invoice["id"],
        "kind": "INVOICE",
        "number": "INV-000001",
        "title": "Invoice INV-000001",
        "fileName": "INV-000001.pdf",
        "contentType": "application/pdf",
        "sizeBytes": invoice["sizeBytes"],
        "sha256": invoice["sha256"],
        "customerId": str(shop.customer_id),
        "orderId": order["id"],
        "orderNumber": "SO-000001",
    }


async def test_an_internal_order_gets_no_invoice_and_takes_no_number_but_ships_with_a_packing_list(shop: Shop) -> None:
    address = {"line1": "4 Depot Road", "city": "Leeds", "postalCode": "LS1 4AP", "country": "GB"}
    internal = await shop.placed(
        {"items": [{"productId": str(shop.products[1]), "quantity": 1}], "shippingAddress": address}
    )

    await move(shop, internal, "CONFIRMED")
    assert await order_documents(shop, internal) == []
    assert await invoice_counter(shop) is None
    await move(shop, internal, "SHIPPED")

    packing_list = await the_document(shop, internal, "PACKING_LIST")
    assert packing_list["customerId"] is None
    assert "4 Depot Road" in pdf_text((await download(shop, f"{DOCUMENTS}/{packing_list['id']}/download")).content)
    # The next customer order's invoice is the first.
    order = await shop.placed()
    await move(shop, order, "CONFIRMED")
    assert (await the_document(shop, order, "INVOICE"))["number"] == "INV-000001"


async def test_shipping_issues_a_packing_list_with_the_lines_and_address_but_no_prices(shop: Shop) -> None:
    order = await shop.placed(shop.order_body((0, 2), (2, 7), poNumber="PO-55"))
    await move(shop, order, "CONFIRMED")

    await move(shop, order, "SHIPPED")

    packing_list = await the_document(shop, order, "PACKING_LIST")
    assert packing_list["number"] is None
    assert packing_list["title"] == "Packing list SO-000001"
    assert packing_list["fileName"] == "packing-list-SO-000001.pdf"
    content = (await download(shop, f"{DOCUMENTS}/{packing_list['id']}/download")).content
    assert pdf_title(content) == "Packing list SO-000001"
    text = pdf_text(content)
    flat = " ".join(text.split())
    for expected in ("SO-000001", "PO-55", "1 Main St", "Product 0", "Product 2"):
        assert expected in text, expected
    assert re.search(r"SKU-0 Product 0 2\b", flat)
    assert re.search(r"SKU-2 Product 2 7\b", flat)
    for price in ("8.00", "16.00", "4.99", "34.93", "50.93"):
        assert price not in text
    kinds = [event.data["kind"] for event in await shop.outbox("DocumentIssued")]
    assert kinds == ["INVOICE", "PACKING_LIST"]


async def test_cancelling_a_confirmed_order_voids_its_invoice_in_a_copy_and_keeps_the_original(shop: Shop) -> None:
    order = await shop.placed(shop.order_body((1, 1)))
    await move(shop, order, "CONFIRMED")
    invoice = await the_document(shop, order, "INVOICE")
    original = (await download(shop, f"{DOCUMENTS}/{invoice['id']}/download")).content

    cancelled = await shop.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "Ordered twice"})

    assert cancelled.status_code == 200, cancelled.text
    voided = (await shop.get(f"{DOCUMENTS}/{invoice['id']}")).json()
    assert voided["voidedAt"] is not None
    assert voided["voidReason"] == "Ordered twice"
    # The record of the invoice as issued does not change.
    assert (voided["sha256"], voided["sizeBytes"], voided["number"]) == (
        invoice["sha256"],
        invoice["sizeBytes"],
        "INV-000001",
    )
    void_copy = await download(shop, f"{DOCUMENTS}/{invoice['id']}/download")
    assert void_copy.status_code == 200
    assert void_copy.content != original
    assert void_copy.headers["etag"] == f'"{hashlib.sha256(void_copy.content).hexdigest()}"'
    void_text = pdf_text(void_copy.content)
    assert "VOID" in void_text
    assert "Ordered twice" in void_text
    assert "INV-000001" in void_text
    assert "VOID" not in pdf_text(original)
    as_issued = await download(shop, f"{DOCUMENTS}/{invoice['id']}/download", copy="original")
    assert as_issued.content == original
    (event,) = await shop.outbox("DocumentVoided")
    assert event.entity.version == 2
    assert event.data["number"] == "INV-000001"
    assert event.data["reason"] == "Ordered twice"
    assert event.data["orderNumber"] == "SO-000001"


async def test_cancelling_a_pending_order_issues_and_voids_nothing(shop: Shop) -> None:
    order = await shop.placed()

    assert (await shop.post(f"{ORDERS}/{order['id']}/cancel", {})).status_code == 200

    assert await order_documents(shop, order) == []
    assert await shop.outbox("DocumentIssued", "DocumentVoided") == []


async def test_a_refused_step_issues_nothing_and_takes_no_invoice_number(shop: Shop) -> None:
    order = await shop.placed()

    refused = await shop.post(f"{ORDERS}/{order['id']}/status", {"status": "SHIPPED"})

    assert refused.status_code == 409
    assert refused.headers["content-type"] == PROBLEM
    assert await shop.rows("documents") == 0
    assert await shop.rows("document_chunks") == 0
    assert await shop.outbox("DocumentIssued") == []
    assert await invoice_counter(shop) is None


async def test_twenty_orders_confirmed_at_once_get_twenty_consecutive_invoice_numbers(shop: Shop) -> None:
    placed = [await shop.placed() for _ in range(20)]

    # Each confirmation its own request, session and transaction, all in flight at once.
    responses = await asyncio.gather(
        *(shop.post(f"{ORDERS}/{order['id']}/status", {"status": "CONFIRMED"}) for order in placed)
    )

    assert [response.status_code for response in responses] == [200] * 20
    invoices = [await the_document(shop, order, "INVOICE") for order in placed]
    assert sorted(invoice["number"] for invoice in invoices) == [f"INV-{n:06d}" for n in range(1, 21)]
    assert await invoice_counter(shop) == 20
    for invoice in invoices:
        content = (await download(shop, f"{DOCUMENTS}/{invoice['id']}/download")).content
        assert pdf_title(content) == f"Invoice {invoice['number']}"
        assert invoice["orderNumber"] in pdf_text(content)


async def test_staff_and_every_storefront_account_of_the_customer_get_the_same_invoice_bytes(shop: Shop) -> None:
    order = await shop.placed(shop.order_body((0, 1)))
    await move(shop, order, "CONFIRMED")
    await move(shop, order, "SHIPPED")
    invoice = await the_document(shop, order, "INVOICE")
    staff_bytes = (await download(shop, f"{DOCUMENTS}/{invoice['id']}/download")).content

    for account in (shop.viewer(), shop.contact(), shop.customer_account()):
        listed = await shop.get(STORE_DOCUMENTS, account, orderId=order["id"])
        assert listed.status_code == 200, listed.text
        assert sorted(document["kind"] for document in listed.json()["items"]) == ["INVOICE", "PACKING_LIST"]
        invoices = await shop.get(STORE_DOCUMENTS, account, kind="INVOICE")
        assert [document["id"] for document in invoices.json()["items"]] == [invoice["id"]]
        response = await download(shop, f"{STORE_DOCUMENTS}/{invoice['id']}/download", account)
        assert response.status_code == 200, response.text
        assert response.content == staff_bytes


async def test_another_company_gets_404_for_an_order_s_documents_on_every_route(
    shop: Shop, orders: RunningService, platform: PlatformSettings
) -> None:
    other = await open_shop(orders, platform)
    order = await shop.placed()
    await move(shop, order, "CONFIRMED")
    invoice = await the_document(shop, order, "INVOICE")

    for path in (
        f"{ORDERS}/{order['id']}/documents",
        f"{DOCUMENTS}/{invoice['id']}",
        f"{DOCUMENTS}/{invoice['id']}/download",
        f"{STORE_DOCUMENTS}/{invoice['id']}/download",
    ):
        headers = other.contact() if path.startswith(STORE_DOCUMENTS) else other.staff()
        response = await other.get(path, headers)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == PROBLEM
    assert (await other.orders.client.delete(f"{DOCUMENTS}/{invoice['id']}", headers=other.staff())).status_code == 404
    assert (await other.get(STORE_DOCUMENTS, other.contact())).json()["items"] == []


async def test_invoices_and_packing_lists_cannot_be_deleted(shop: Shop) -> None:
    order = await shop.placed()
    await move(shop, order, "CONFIRMED")
    await move(shop, order, "SHIPPED")

    for document in await order_documents(shop, order):
        response = await shop.orders.client.delete(f"{DOCUMENTS}/{document['id']}", headers=shop.staff())
        assert response.status_code == 409
        assert response.json()["detail"] == (
            "Invoices and packing lists are part of the order's record and cannot be deleted."
        )
    assert len(await order_documents(shop, order)) == 2
    assert await shop.outbox("DocumentDeleted") == []


async def test_an_unknown_order_s_documents_are_404(shop: Shop) -> None:
    response = await shop.get(f"{ORDERS}/{uuid.uuid4()}/documents")

    assert response.status_code == 404


# -- the seller -----------------------------------------------------------------------------------------


async def invoice_pdf(shop: Shop, order: dict[str, Any], **params: str) -> bytes:
    invoice = await the_document(shop, order, "INVOICE")
    response = await download(shop, f"{DOCUMENTS}/{invoice['id']}/download", None, **params)
    assert response.status_code == 200, response.text
    return response.content


async def test_without_a_billing_profile_the_invoice_names_the_company_as_the_seller(shop: Shop) -> None:
    order = await shop.placed()

    await move(shop, order, "CONFIRMED")

    lines = pdf_lines(await invoice_pdf(shop, order))
    assert lines[0] == shop.name
    assert not any(line.startswith("Tax ID") for line in lines)


async def test_an_invoice_names_the_seller_by_its_billing_profile_with_address_tax_id_and_email(shop: Shop) -> None:
    await shop.publish(billing_profile_changed(shop.company_id))
    order = await shop.placed()

    await move(shop, order, "CONFIRMED")
    await move(shop, order, "SHIPPED")

    lines = pdf_lines(await invoice_pdf(shop, order))
    assert contains_run(lines, ["Acme Wholesale LLC", *BILLING_PROFILE_LINES])
    assert shop.name not in lines
    assert pdf_title(await invoice_pdf(shop, order)) == "Invoice INV-000001"
    # The packing list names the same seller at the same address, without its tax ID and billing email.
    packing_list = await the_document(shop, order, "PACKING_LIST")
    packing_lines = pdf_lines((await download(shop, f"{DOCUMENTS}/{packing_list['id']}/download")).content)
    assert contains_run(packing_lines, ["Acme Wholesale LLC", *BILLING_PROFILE_LINES[:4]])
    assert BILLING_PROFILE_LINES[4] not in packing_lines
    assert BILLING_PROFILE_LINES[5] not in packing_lines


async def test_an_issued_invoice_and_its_void_copy_keep_the_seller_printed_at_issue(shop: Shop) -> None:
    await shop.publish(billing_profile_changed(shop.company_id))
    order = await shop.placed()
    await move(shop, order, "CONFIRMED")
    original = await invoice_pdf(shop, order)
    moved = billing_profile_changed(
        shop.company_id,
        version=2,
        legal_name="Acme Holdings Inc.",
        address_line1="1 Harbor Way",
        address_line2=None,
        city="Oakland",
        postal_code="94607",
        tax_id=None,
        email="ap@acme-holdings.test",
    )

    await shop.publish(moved)
    cancelled = await shop.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "Ordered twice"})

    assert cancelled.status_code == 200, cancelled.text
    assert await invoice_pdf(shop, order, copy="original") == original
    void_lines = pdf_lines(await invoice_pdf(shop, order))
    assert "VOID" in void_lines
    assert contains_run(void_lines, ["Acme Wholesale LLC", *BILLING_PROFILE_LINES])
    for later in ("Acme Holdings Inc.", "1 Harbor Way", "ap@acme-holdings.test"):
        assert later not in void_lines
    # An invoice issued from now on names the seller as it is now.
    later_order = await shop.placed()
    await move(shop, later_order, "CONFIRMED")
    later_lines = pdf_lines(await invoice_pdf(shop, later_order))
    assert contains_run(
        later_lines,
        ["Acme Holdings Inc.", "1 Harbor Way", "Oakland, CA 94607", "United States", "ap@acme-holdings.test"],
    )


def test_the_seller_prints_only_what_the_profile_has() -> None:
    envelope = billing_profile_changed(
        uuid.uuid4(),
        legal_name="Northwind Distribution GmbH",
        address_line1="Invalidenstraße 116",
        address_line2=None,
        city="Berlin",
        region=None,
        postal_code="10115",
        country="DE",
        tax_id=None,
    )
    profile = billing_profile_fields(BillingProfileChanged.model_validate(envelope.data))
    address = ["Invalidenstraße 116", "10115 Berlin", "Germany"]

    with_profile = Tenant(name="Northwind", billing_profile=profile)
    assert seller_party(with_profile, on_invoice=True) == Party(
        "Northwind Distribution GmbH", [*address, "billing@acme-wholesale.test"]
    )
    assert seller_party(with_profile, on_invoice=False) == Party("Northwind Distribution GmbH", address)
    assert seller_party(Tenant(name="Northwind", billing_profile=None), on_invoice=True) == Party("Northwind", [])
