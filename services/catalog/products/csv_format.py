"""The product CSV: its columns, reading a file into rows with their line numbers, writing the export."""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.catalog.models import Product
from services.catalog.money import money_text
from services.catalog.products.schemas import ImportRowError

COLUMNS = ("sku", "name", "description", "unitPrice", "unitOfSale", "status", "category", "imageUrl")
REQUIRED_COLUMNS = ("sku",)

# A cell starting with one of these is a formula to a spreadsheet (CSV injection): the export writes it
# after an apostrophe, which spreadsheets show as text, and the import takes that apostrophe off again.
# A value that itself starts with an apostrophe gets one more, so every export reads back as it was.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value: str) -> str:
    return "'" + value if value.startswith((*_FORMULA_STARTS, "'")) else value


def _from_text(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith((*_FORMULA_STARTS, "'")) else value


@dataclass(frozen=True)
class CsvRow:
    # The line the row starts on (a quoted value may span several); the header is line 1.
    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class CsvFile:
    columns: tuple[str, ...]
    rows: list[CsvRow]
    errors: list[ImportRowError]


def read_products_csv(text: str) -> CsvFile:
    """Split the file into rows keyed by column; what is wrong with its shape is listed in `errors`."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        return CsvFile((), [], [ImportRowError(line=1, field="header", message=f"Not readable as CSV: {error}.")])
    if header is None:
        return CsvFile((), [], [ImportRowError(line=1, field="header", message=_header_rule("The file is empty"))])
    columns = tuple(name.strip() for name in header)
    errors = _header_errors(columns)
    if errors:
        # Rows cannot be read right under a wrong header: its problems come first, alone.
        return CsvFile(columns, [], errors)
    rows: list[CsvRow] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as error:
            errors.append(ImportRowError(line=line, field="row", message=f"Not readable as CSV: {error}."))
            break
        if cells is None:
            break
        if cells and any(cell.strip() for cell in cells):
            if len(cells) != len(columns):
                errors.append(
                    ImportRowError(
                        line=line,
                        field="row",
                        message=f"Has {len(cells)} values where the header has {len(columns)} columns.",
                    )
                )
            else:
                rows.append(CsvRow(line, dict(zip(columns, map(_from_text, cells), strict=True))))
        line = reader.line_num + 1
    return CsvFile(columns, rows, errors)


def _header_rule(problem: str) -> str:
    return f"{problem}: the first line must name the columns, among {', '.join(COLUMNS)} (sku is required)."


def _header_errors(columns: tuple[str, ...]) -> list[ImportRowError]:
    errors = []
    seen: set[str] = set()
    for column in columns:
        if column not in COLUMNS:
            errors.append(ImportRowError(line=1, field=column or "header", message=_header_rule("Unknown column")))
        elif column in seen:
            errors.append(ImportRowError(line=1, field=column, message="This column appears more than once."))
        seen.add(column)
    errors.extend(
        ImportRowError(line=1, field=column, message=_header_rule("Missing column"))
        for column in REQUIRED_COLUMNS
        if column not in seen
    )
    return errors


def csv_lines(rows: Iterable[Sequence[str]]) -> str:
    """CSV text of `rows`, each line ended by CRLF as RFC 4180 has it."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def product_cells(product: Product) -> tuple[str, ...]:
    """A product's values in COLUMNS order, as the import reads them back: an export re-imported changes nothing."""
    values = (
        product.sku,
        product.name,
        product.description or "",
        money_text(product.unit_price),
        product.unit_of_sale,
        product.status.value,
        product.category or "",
        product.image_url or "",
    )
    return tuple(map(_as_text, values))
