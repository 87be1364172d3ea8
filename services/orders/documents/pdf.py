"""Invoices and packing lists as PDF: pure functions from the content printed to the bytes, no database.

The same content always gives the same bytes (reportlab's invariant mode: no creation time, no random ids), so a
document's sha256 says what it shows. The content is stored with the document (`to_json`), which lets a voided
invoice's VOID copy be rendered from exactly what the original printed, whatever changed since.

Text is set in DejaVu Sans, shipped next to this module and embedded (subset) in each PDF: reportlab's standard
fonts cover Latin-1 only, and the Vera fonts reportlab ships lack letters such as the "ź" of "Łódź". Amounts are
Babel's, in English for the order's currency ("$1,234.50", "€1,234.50"); dates are written out ("December 1, 2026")
so no reader takes the day for the month.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from babel.dates import format_date
from babel.numbers import format_currency
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from contracts.addresses import address_lines

FONT_DIRECTORY = Path(__file__).parent / "fonts"
REGULAR, BOLD = "DistribuSans", "DistribuSans-Bold"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#616E7C")
RULE = colors.HexColor("#CBD2D9")
SHADE = colors.HexColor("#F0F2F5")
VOID_RED = colors.HexColor("#C62828")

# Registered once, on import: reportlab's font registry is global, and renders run on worker threads.
pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIRECTORY / "DejaVuSans.ttf")))
pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIRECTORY / "DejaVuSans-Bold.ttf")))
pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)


def party_address_lines(address: Mapping[str, Any]) -> list[str]:
    """An address (the API's fields) as a party's lines print it: in its country's order, the country last."""
    return address_lines(address)


@dataclass(frozen=True)
class Party:
    """A block of the page: "From", "Bill to", "Ship to"."""

    name: str
    lines: list[str]  # address lines as printed, then email/phone if any

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Party":
        return cls(name=data["name"], lines=list(data["lines"]))


@dataclass(frozen=True)
class DocumentLine:
    sku: str
    name: str
    quantity: int
    unit_of_sale: str
    unit_price: Decimal | None = None  # None on a packing list
    line_total: Decimal | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "DocumentLine":
        return cls(
            sku=data["sku"],
            name=data["name"],
            quantity=int(data["quantity"]),
            unit_of_sale=data["unit_of_sale"],
            unit_price=_decimal(data.get("unit_price")),
            line_total=_decimal(data.get("line_total")),
        )


@dataclass(frozen=True)
class InvoiceContent:
    seller: Party
    bill_to: Party
    ship_to: Party | None
    invoice_number: str
    issued_on: dt.date
    order_number: str
    order_date: dt.date
    po_number: str | None
    currency: str
    lines: list[DocumentLine]
    subtotal: Decimal
    total: Decimal

    def to_json(self) -> dict[str, Any]:
        """The content as JSON (Decimals and dates as strings), stored on the document's row."""
        data: dict[str, Any] = _json_value(self)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "InvoiceContent":
        return cls(
            seller=Party.from_json(data["seller"]),
            bill_to=Party.from_json(data["bill_to"]),
            ship_to=Party.from_json(data["ship_to"]) if data.get("ship_to") else None,
            invoice_number=data["invoice_number"],
            issued_on=dt.date.fromisoformat(data["issued_on"]),
            order_number=data["order_number"],
            order_date=dt.date.fromisoformat(data["order_date"]),
            po_number=data.get("po_number"),
            currency=data["currency"],
            lines=[DocumentLine.from_json(line) for line in data["lines"]],
            subtotal=Decimal(data["subtotal"]),
            total=Decimal(data["total"]),
        )


@dataclass(frozen=True)
class PackingListContent:
    seller: Party
    ship_to: Party | None
    order_number: str
    order_date: dt.date
    po_number: str | None
    issued_on: dt.date
    requested_delivery_date: dt.date | None
    customer_name: str | None
    lines: list[DocumentLine]

    def to_json(self) -> dict[str, Any]:
        """The content as JSON (dates as strings), stored on the document's row."""
        data: dict[str, Any] = _json_value(self)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "PackingListContent":
        requested = data.get("requested_delivery_date")
        return cls(
            seller=Party.from_json(data["seller"]),
            ship_to=Party.from_json(data["ship_to"]) if data.get("ship_to") else None,
            order_number=data["order_number"],
            order_date=dt.date.fromisoformat(data["order_date"]),
            po_number=data.get("po_number"),
            issued_on=dt.date.fromisoformat(data["issued_on"]),
            requested_delivery_date=dt.date.fromisoformat(requested) if requested else None,
            customer_name=data.get("customer_name"),
            lines=[DocumentLine.from_json(line) for line in data["lines"]],
        )


@dataclass(frozen=True)
class VoidMark:
    """What a voided invoice's copy says: when it was voided, and why if anyone said."""

    at: dt.datetime
    reason: str | None


def render_invoice(content: InvoiceContent, *, void: VoidMark | None = None) -> bytes:
    """The invoice as PDF; with `void`, its VOID copy: the same page under a diagonal stamp, and the voiding."""
    money = _money_formatter(content.currency)
    facts = [
        ("Invoice number", content.invoice_number),
        ("Invoice date", _date(content.issued_on)),
        ("Order number", content.order_number),
        ("Order date", _date(content.order_date)),
    ]
    if content.po_number:
        facts.append(("PO number", content.po_number))
    story: list[Flowable] = [_heading(content.seller, "INVOICE", facts)]
    if void is not None:
        voided = f"Voided on {_date(void.at.date())}" + (f": {void.reason}" if void.reason else ".")
        story += [Spacer(1, 4 * mm), Paragraph(escape(voided), _style("void", BOLD, 11, color=VOID_RED))]
    parties = [("Bill to", content.bill_to)] + ([("Ship to", content.ship_to)] if content.ship_to else [])
    story += [Spacer(1, 8 * mm), _parties(parties), Spacer(1, 8 * mm)]
    rows = [
        [line.sku, line.name, str(line.quantity), line.unit_of_sale, money(line.unit_price), money(line.line_total)]
        for line in content.lines
    ]
    story.append(_lines_table(["SKU", "Product", "Qty", "Unit", "Unit price", "Line total"], rows, money_columns=2))
    totals = [("Subtotal", money(content.subtotal)), ("Total", money(content.total))]
    note = Paragraph(f"All amounts in {escape(content.currency)}.", _style("note", REGULAR, 8, color=MUTED))
    # The totals never start a page of their own, away from the note that names their currency.
    story += [Spacer(1, 4 * mm), KeepTogether([_totals(totals), Spacer(1, 6 * mm), note])]
    title = f"Invoice {content.invoice_number}"
    return _render(
        story,
        title=title,
        author=content.seller.name,
        footer=f"{title} · Order {content.order_number}",
        void=void is not None,
    )


def render_packing_list(content: PackingListContent) -> bytes:
    """The packing list as PDF: what ships where, with no prices anywhere."""
    facts = [("Order number", content.order_number), ("Order date", _date(content.order_date))]
    if content.po_number:
        facts.append(("PO number", content.po_number))
    facts.append(("Shipped on", _date(content.issued_on)))
    if content.requested_delivery_date:
        facts.append(("Requested delivery", _date(content.requested_delivery_date)))
    story: list[Flowable] = [_heading(content.seller, "PACKING LIST", facts)]
    parties = [("Customer", Party(content.customer_name, []))] if content.customer_name else []
    parties += [("Ship to", content.ship_to)] if content.ship_to else []
    if parties:
        story += [Spacer(1, 8 * mm), _parties(parties)]
    rows = [[line.sku, line.name, str(line.quantity), line.unit_of_sale] for line in content.lines]
    story += [Spacer(1, 8 * mm), _lines_table(["SKU", "Product", "Qty", "Unit"], rows, money_columns=0)]
    counts = [("Lines", str(len(content.lines))), ("Total quantity", str(sum(line.quantity for line in content.lines)))]
    story += [Spacer(1, 4 * mm), _totals(counts)]
    title = f"Packing list {content.order_number}"
    return _render(story, title=title, author=content.seller.name, footer=title, void=False)


# -- layout -----------------------------------------------------------------------------------------------


def _style(name: str, font: str, size: float, *, color: colors.Color = INK, right: bool = False) -> ParagraphStyle:
    return ParagraphStyle(
        name, fontName=font, fontSize=size, leading=size * 1.3, textColor=color, alignment=TA_RIGHT if right else 0
    )


def _text(value: str, style: ParagraphStyle) -> Paragraph:
    # Paragraphs read markup: "Müller & Søn" must reach the page as text, not as a broken entity.
    return Paragraph(escape(value), style)


# Cells whose text starts and ends at the cell's edge, for tables that only place blocks side by side.
FLUSH = [
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
]


def _heading(seller: Party, title: str, facts: list[tuple[str, str]]) -> Table:
    """The seller top left; the document's title and its numbers and dates top right."""
    seller_block = [_text(seller.name, _style("seller", BOLD, 14))]
    seller_block += [_text(line, _style("seller-line", REGULAR, 9, color=MUTED)) for line in seller.lines]
    label, value = _style("fact-label", REGULAR, 9, color=MUTED), _style("fact", BOLD, 9, right=True)
    fact_rows = [[_text(name, label), _text(text, value)] for name, text in facts]
    fact_style = [*FLUSH, ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]
    fact_table = Table(fact_rows, colWidths=[34 * mm, 46 * mm], style=fact_style)
    right = [_text(title, _style("title", BOLD, 20, right=True)), Spacer(1, 3 * mm), fact_table]
    return Table([[seller_block, right]], colWidths=[CONTENT_WIDTH - 80 * mm, 80 * mm], style=FLUSH)


def _parties(parties: list[tuple[str, Party]]) -> Table:
    """The parties ("Bill to", "Ship to") side by side, each under a small label."""
    label, name = _style("party-label", BOLD, 8, color=MUTED), _style("party", BOLD, 10)
    line = _style("party-line", REGULAR, 9)
    cells = [
        [_text(heading.upper(), label), Spacer(1, 1.5 * mm), _text(party.name, name)]
        + [_text(text, line) for text in party.lines]
        for heading, party in parties
    ]
    style = [*FLUSH, ("RIGHTPADDING", (0, 0), (-1, -1), 8 * mm)]
    return Table([cells], colWidths=[CONTENT_WIDTH / 2] * len(cells), hAlign="LEFT", style=style)


def _lines_table(header: list[str], rows: list[list[str]], *, money_columns: int) -> Table:
    """The lines, their header row repeated at the top of every page the table runs onto. The SKU and the product
    wrap; the quantity and the last `money_columns` columns are right-aligned figures."""
    fixed = [32 * mm, 0, 14 * mm, 16 * mm] + [27 * mm] * money_columns
    widths = [width or CONTENT_WIDTH - sum(fixed) for width in fixed]
    cell, right = _style("cell", REGULAR, 8.5), _style("cell-right", REGULAR, 8.5, right=True)
    head, head_right = _style("head", BOLD, 8, color=MUTED), _style("head-right", BOLD, 8, color=MUTED, right=True)
    figures = {2, *range(len(header) - money_columns, len(header))}
    data = [[_text(text, head_right if index in figures else head) for index, text in enumerate(header)]]
    data += [[_text(text, right if index in figures else cell) for index, text in enumerate(row)] for row in rows]
    style = TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("LINEBELOW", (0, 0), (-1, 0), 0.75, RULE),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
    )
    return Table(data, colWidths=widths, repeatRows=1, style=style)


def _totals(rows: list[tuple[str, str]]) -> Table:
    """The totals at the right edge, the last one bold over a rule."""
    label, value = _style("total-label", REGULAR, 9.5, right=True), _style("total", REGULAR, 9.5, right=True)
    strong, strong_value = _style("grand-label", BOLD, 11, right=True), _style("grand", BOLD, 11, right=True)
    data = [[_text(name, label), _text(text, value)] for name, text in rows[:-1]]
    data.append([_text(rows[-1][0], strong), _text(rows[-1][1], strong_value)])
    style = TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.75, INK), ("RIGHTPADDING", (0, 0), (-1, -1), 6)])
    return Table(data, colWidths=[40 * mm, 34 * mm], hAlign="RIGHT", style=style)


def _render(story: list[Flowable], *, title: str, author: str, footer: str, void: bool) -> bytes:
    buffer = BytesIO()
    document = BaseDocTemplate(buffer, pagesize=A4, title=title, author=author, creator="Distribu", invariant=True)
    # No padding inside the frame: the text's left edge is the margin, where the footer's rule starts.
    body = Frame(MARGIN, MARGIN + 8 * mm, CONTENT_WIDTH, PAGE_HEIGHT - 2 * MARGIN - 8 * mm, 0, 0, 0, 0)
    document.addPageTemplates([PageTemplate(frames=[body])])
    document.build(story, canvasmaker=_page_canvas(footer, void))
    return buffer.getvalue()


def _page_canvas(footer: str, void: bool) -> Callable[..., Canvas]:
    """A canvas that holds its pages back until the last one is laid out, so each can say "Page N of M"."""

    class PageCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            # Keep the finished page's state and begin a blank one, as reportlab's own "Page N of M" recipe does
            # (the stubs leave its `_startPage` out).
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            for number, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                self._decorate(number, len(self._pages))
                super().showPage()
            super().save()

        def _decorate(self, number: int, count: int) -> None:
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, MARGIN + 3 * mm, PAGE_WIDTH - MARGIN, MARGIN + 3 * mm)
            self.setFont(REGULAR, 8)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, MARGIN - 1 * mm, footer)
            self.drawRightString(PAGE_WIDTH - MARGIN, MARGIN - 1 * mm, f"Page {number} of {count}")
            if void:
                # Across the whole page, translucent: the invoice stays legible but cannot pass for a valid one.
                self.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
                self.rotate(40)
                self.setFillColor(VOID_RED, alpha=0.22)
                self.setFont(BOLD, 150)
                self.drawCentredString(0, -50, "VOID")
            self.restoreState()

    return PageCanvas


def _money_formatter(currency: str) -> Callable[[Decimal | None], str]:
    def money(amount: Decimal | None) -> str:
        return "" if amount is None else format_currency(amount, currency, locale="en_US")

    return money


def _date(value: dt.date) -> str:
    return format_date(value, format="long", locale="en_US")


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _json_value(value: Any) -> Any:
    """A content dataclass as JSON-ready values: Decimals and dates as strings, dataclasses as objects."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _json_value(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
