"""Invoices and packing lists as PDF (services/orders/documents/pdf.py), read back with pypdf: what an accountant
and a warehouse need is on the page as text, a packing list shows no money, long orders run onto numbered pages
with the table's header on each, and the same content always gives the same bytes."""

import datetime as dt
import io
import json
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

from pypdf import PdfReader

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

SELLER = Party("Northwind Distribution GmbH", ["Invalidenstraße 116", "10115 Berlin", "Germany"])
BILL_TO = Party(
    "Müller & Søn ApS",
    [
        *party_address_lines({"line1": "ul. Piotrkowska 12", "city": "Łódź", "postalCode": "90-001", "country": "PL"}),
        "ap@muller-son.example",
    ],
)
SHIP_TO = Party(
    "Ærø Købmandsgård",
    party_address_lines({"line1": "Vestergade 5", "city": "Ærøskøbing", "postalCode": "5970", "country": "DK"}),
)
LINES = [
    DocumentLine("COF-001", "Espresso beans 1 kg", 3, "bag", Decimal("18.90"), Decimal("56.70")),
    DocumentLine("CUP-250", "Paper cups 250 ml", 12, "case", Decimal("104.25"), Decimal("1251.00")),
    DocumentLine("SUG-010", "Cane sugar sticks", 1, "box", Decimal("7.40"), Decimal("7.40")),
]
SUBTOTAL = Decimal("1315.10")


def _invoice(**changes: Any) -> InvoiceContent:
    invoice = InvoiceContent(
        seller=SELLER,
        bill_to=BILL_TO,
        ship_to=SHIP_TO,
        invoice_number="INV-000017",
        issued_on=dt.date(2026, 12, 1),
        order_number="SO-000042",
        order_date=dt.date(2026, 11, 28),
        po_number="PO-7781/B",
        currency="USD",
        lines=LINES,
        subtotal=SUBTOTAL,
        total=SUBTOTAL,
    )
    return replace(invoice, **changes)


def _packing_list() -> PackingListContent:
    return PackingListContent(
        seller=SELLER,
        ship_to=SHIP_TO,
        order_number="SO-000042",
        order_date=dt.date(2026, 11, 28),
        po_number="PO-7781/B",
        issued_on=dt.date(2026, 12, 2),
        requested_delivery_date=dt.date(2026, 12, 5),
        customer_name="Müller & Søn ApS",
        lines=[DocumentLine(line.sku, line.name, line.quantity, line.unit_of_sale) for line in LINES],
    )


def _pages(pdf: bytes) -> list[list[str]]:
    """Each page's text, one table cell or printed line per entry, as pypdf extracts it."""
    reader = PdfReader(io.BytesIO(pdf))
    return [[line.strip() for line in page.extract_text().splitlines() if line.strip()] for page in reader.pages]


def _text(pdf: bytes) -> list[str]:
    return [line for page in _pages(pdf) for line in page]


def _title(pdf: bytes) -> str | None:
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    return None if metadata is None else metadata.title


def _contains_run(lines: list[str], run: list[str]) -> bool:
    return any(lines[start : start + len(run)] == run for start in range(len(lines) - len(run) + 1))


def test_an_invoice_prints_every_line_with_its_quantity_and_prices_and_the_totals() -> None:
    text = _text(render_invoice(_invoice()))

    # Each line's cells in the order of the table's columns, so no price is read against the wrong product.
    assert _contains_run(text, ["SKU", "Product", "Qty", "Unit", "Unit price", "Line total"])
    assert _contains_run(text, ["COF-001", "Espresso beans 1 kg", "3", "bag", "$18.90", "$56.70"])
    assert _contains_run(text, ["CUP-250", "Paper cups 250 ml", "12", "case", "$104.25", "$1,251.00"])
    assert _contains_run(text, ["SUG-010", "Cane sugar sticks", "1", "box", "$7.40", "$7.40"])
    assert _contains_run(text, ["Subtotal", "$1,315.10", "Total", "$1,315.10"])
    assert "All amounts in USD." in text


def test_an_invoice_names_its_number_dates_order_po_and_both_parties_in_any_latin_script() -> None:
    pdf = render_invoice(_invoice())
    text = _text(pdf)

    assert _title(pdf) == "Invoice INV-000017"
    assert _contains_run(text, ["Invoice number", "INV-000017", "Invoice date", "December 1, 2026"])
    assert _contains_run(text, ["Order number", "SO-000042", "Order date", "November 28, 2026"])
    assert _contains_run(text, ["PO number", "PO-7781/B"])
    # The seller, then each party under its heading, its address in the country's order; letters outside
    # Latin-1 (Ł, ź) come back as the same letters, not as boxes or dropped characters.
    assert _contains_run(text, ["Northwind Distribution GmbH", "Invalidenstraße 116", "10115 Berlin", "Germany"])
    assert _contains_run(
        text, ["BILL TO", "Müller & Søn ApS", "ul. Piotrkowska 12", "90-001 Łódź", "Poland", "ap@muller-son.example"]
    )
    assert _contains_run(text, ["SHIP TO", "Ærø Købmandsgård", "Vestergade 5", "5970 Ærøskøbing", "Denmark"])


def test_an_invoice_without_a_po_or_ship_to_leaves_them_out() -> None:
    text = _text(render_invoice(_invoice(po_number=None, ship_to=None)))

    assert "PO number" not in text
    assert "SHIP TO" not in text
    assert "BILL TO" in text


def test_amounts_are_written_in_the_invoices_currency() -> None:
    text = _text(render_invoice(_invoice(currency="EUR")))

    assert _contains_run(text, ["CUP-250", "Paper cups 250 ml", "12", "case", "€104.25", "€1,251.00"])
    assert _contains_run(text, ["Total", "€1,315.10"])


def test_a_packing_list_prints_what_ships_where_and_no_amount_of_money() -> None:
    pdf = render_packing_list(_packing_list())
    text = _text(pdf)

    assert _title(pdf) == "Packing list SO-000042"
    assert "PACKING LIST" in text
    assert _contains_run(text, ["Order number", "SO-000042", "Order date", "November 28, 2026"])
    assert _contains_run(text, ["PO number", "PO-7781/B", "Shipped on", "December 2, 2026"])
    assert _contains_run(text, ["Requested delivery", "December 5, 2026"])
    assert _contains_run(text, ["CUSTOMER", "Müller & Søn ApS"])
    assert _contains_run(text, ["SHIP TO", "Ærø Købmandsgård", "Vestergade 5", "5970 Ærøskøbing", "Denmark"])
    assert _contains_run(text, ["SKU", "Product", "Qty", "Unit", "COF-001", "Espresso beans 1 kg", "3", "bag"])
    assert _contains_run(text, ["CUP-250", "Paper cups 250 ml", "12", "case"])
    assert _contains_run(text, ["Lines", "3", "Total quantity", "16"])
    whole = "\n".join(text)
    for money in ("$", "€", "USD", "Price", "price", "Total\n", "Subtotal", "18.90", "104.25", "1,251"):
        assert money not in whole
    assert not re.search(r"\d\.\d\d\b", whole), "no amount with cents on a packing list"


def test_a_long_invoice_runs_onto_numbered_pages_with_the_table_header_on_each() -> None:
    lines = [
        DocumentLine(f"LONG-{index:03d}", f"Item number {index}", index, "each", Decimal("2.00"), Decimal(2 * index))
        for index in range(1, 121)
    ]
    subtotal = sum((line.line_total or Decimal(0) for line in lines), Decimal(0))
    pages = _pages(render_invoice(_invoice(lines=lines, subtotal=subtotal, total=subtotal)))

    count = len(pages)
    assert count >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in page
        assert "Invoice INV-000017 · Order SO-000042" in page
        assert _contains_run(page, ["SKU", "Product", "Qty", "Unit", "Unit price", "Line total"])
    skus = [line for page in pages for line in page if line.startswith("LONG-")]
    assert skus == [f"LONG-{index:03d}" for index in range(1, 121)]
    assert _contains_run(pages[-1], ["Total", "$14,520.00"])


def test_the_same_content_always_renders_to_the_same_bytes() -> None:
    void = VoidMark(dt.datetime(2026, 12, 3, 10, 30, tzinfo=dt.UTC), "Cancelled by the customer")

    assert render_invoice(_invoice()) == render_invoice(_invoice())
    assert render_invoice(_invoice(), void=void) == render_invoice(_invoice(), void=void)
    assert render_packing_list(_packing_list()) == render_packing_list(_packing_list())
    assert render_invoice(_invoice()) != render_invoice(_invoice(invoice_number="INV-000018"))


def test_the_content_comes_back_equal_from_its_json() -> None:
    invoice, packing_list = _invoice(), _packing_list()

    # Through a JSON text, as the document's row stores it: amounts keep their exact digits.
    stored = json.loads(json.dumps(invoice.to_json()))
    assert stored["subtotal"] == "1315.10"
    assert stored["issued_on"] == "2026-12-01"
    assert stored["lines"][1]["unit_price"] == "104.25"
    assert InvoiceContent.from_json(stored) == invoice
    assert InvoiceContent.from_json(json.loads(json.dumps(_invoice(ship_to=None).to_json()))) == _invoice(ship_to=None)
    assert PackingListContent.from_json(json.loads(json.dumps(packing_list.to_json()))) == packing_list
    # What was stored renders the very same bytes again.
    assert render_invoice(InvoiceContent.from_json(stored)) == render_invoice(invoice)


def test_a_void_copy_is_stamped_void_and_says_when_and_why() -> None:
    void = VoidMark(dt.datetime(2026, 12, 3, 10, 30, tzinfo=dt.UTC), "Cancelled by the customer")
    original = _text(render_invoice(_invoice()))
    voided = _text(render_invoice(_invoice(), void=void))

    assert "VOID" not in original
    assert "VOID" in voided
    assert "Voided on December 3, 2026: Cancelled by the customer" in voided
    # Otherwise the copy shows what the original did.
    assert _contains_run(voided, ["CUP-250", "Paper cups 250 ml", "12", "case", "$104.25", "$1,251.00"])
    assert _contains_run(voided, ["Invoice number", "INV-000017"])

    without_reason = _text(render_invoice(_invoice(), void=VoidMark(void.at, None)))
    assert "Voided on December 3, 2026." in without_reason
