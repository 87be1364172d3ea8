"""Bulk CSV import of products: every row validated, all applied or none, in a handful of statements.

Rows are matched to products by SKU (ignoring letter case): a known SKU updates its product, an
unknown one creates a product. A column the file leaves out keeps its value on updated products and
takes its default on new ones; a blank unitOfSale or status does the same; a blank description,
category or imageUrl clears it.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.access import require_staff_or_key
from kit.context import RequestContext
from kit.db import new_id, utcnow
from kit.errors import InvalidInput, ProblemError, problem_body
from kit.events import EntityRef, Event
from kit.outbox import emit_many
from services.catalog.models import Product, ProductStatus
from services.catalog.products.csv_format import CsvFile, CsvRow, read_products_csv
from services.catalog.products.events import (
    ProductArchived,
    ProductCreated,
    ProductRestored,
    ProductsImported,
    ProductUpdated,
    catalog_entity,
    product_entity,
)
from services.catalog.products.repository import ProductRepository, sku_key
from services.catalog.products.schemas import DEFAULT_UNIT_OF_SALE, ImportResult, ImportRow, ImportRowError
from services.catalog.products.service import CHANGE_NAMES, CLEARABLE, product_limit_reached
from services.catalog.tenants.service import lock_tenant

MAX_IMPORT_ROWS = 50_000
# Cells that must hold a value whenever their column is in the file.
NOT_BLANK = ("sku", "name", "unitPrice")
# Cells whose blank means "unchanged" (or the default, for a new product).
BLANK_IS_UNCHANGED = ("unitOfSale", "status")
NEW_PRODUCT_NEEDS = {"name": "name", "unit_price": "unitPrice"}


class ImportRejected(ProblemError):
    """422 listing every problem of the file by line and field; nothing was imported."""

    status = 422
    title = "Import rejected"
    slug = "import-rejected"

    def __init__(self, row_errors: list[ImportRowError]) -> None:
        lines = len({error.line for error in row_errors})
        super().__init__(
            f"Nothing was imported: the file has {len(row_errors)} problem(s) on {lines} line(s). "
            "Fix them and import the file again."
        )
        self.row_errors = sorted(row_errors, key=lambda error: error.line)

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body = problem_body(self.status, self.title, self.detail, self.slug, instance)
        # Unlike other problems' errors, each names its line (a number), not just a field.
        body["errors"] = [error.model_dump() for error in self.row_errors]
        return body


@dataclass
class _Outcome:
    """What applying the file does, in the file's order: rows to insert and update, and their events."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[Event, EntityRef]] = field(default_factory=list)
    unchanged: int = 0
    # ACTIVE products once applied, and whether any row creates or restores one (takes a maxProducts slot).
    active_after: int = 0
    takes_slots: bool = False


async def import_products(session: AsyncSession, text: str, *, context: RequestContext) -> ImportResult:
    company_id = require_staff_or_key(context, "catalog:write")
    parsed = read_products_csv(text)
    if len(parsed.rows) > MAX_IMPORT_ROWS:
        raise InvalidInput(f"An import takes at most {MAX_IMPORT_ROWS:,} rows; split the file into smaller ones.")
    rows, errors = _validated_rows(parsed)

    tenant = await lock_tenant(session, company_id)
    repository = ProductRepository(session, company_id)
    # One query finds every SKU of the file that the catalog already has.
    existing = await repository.by_sku_keys([sku_key(row.sku) for _, row in rows])
    # Reported with the other rows' problems, so one attempt shows everything to fix.
    errors += [
        ImportRowError(
            line=line, field=column, message="Required for a new product (this SKU is not in the catalog yet)."
        )
        for line, row in rows
        if sku_key(row.sku) not in existing
        for attribute, column in NEW_PRODUCT_NEEDS.items()
        if getattr(row, attribute) is None
    ]
    if errors:
        raise ImportRejected(errors)

    active_before = await repository.count_active()
    outcome = _outcome(company_id, rows, existing, tenant.currency, active_before)
    created, updated = len(outcome.inserts), len(outcome.updates)
    # Like one product at a time: adding past the limit is refused, archiving frees slots for the file's new ones.
    if tenant.max_products is not None and outcome.takes_slots and outcome.active_after > tenant.max_products:
        raise product_limit_reached(tenant, active_after=outcome.active_after)

    await repository.insert_many(outcome.inserts)
    await repository.update_many(outcome.updates)
    summary = ProductsImported(created=created, updated=updated, active_products=outcome.active_after)
    await emit_many(
        session, [*outcome.events, (summary, catalog_entity(company_id))], company_id=company_id, context=context
    )
    return ImportResult(created=created, updated=updated, unchanged=outcome.unchanged)


def _validated_rows(parsed: CsvFile) -> tuple[list[tuple[int, ImportRow]], list[ImportRowError]]:
    """Each row checked against the product field rules, and no SKU twice; every problem is reported."""
    errors = list(parsed.errors)
    rows: list[tuple[int, ImportRow]] = []
    first_line_of: dict[str, int] = {}
    for csv_row in parsed.rows:
        row = _validated_row(csv_row, errors)
        if row is None:
            continue
        key = sku_key(row.sku)
        if key in first_line_of:
            message = f"This SKU is also on line {first_line_of[key]} (SKUs are compared without letter case)."
            errors.append(ImportRowError(line=csv_row.line, field="sku", message=message))
            continue
        first_line_of[key] = csv_row.line
        rows.append((csv_row.line, row))
    return rows, errors


def _validated_row(csv_row: CsvRow, errors: list[ImportRowError]) -> ImportRow | None:
    values: dict[str, str] = {}
    problems = []
    for column, cell in csv_row.values.items():
        cell = cell.strip()
        if not cell and column in NOT_BLANK:
            problems.append(ImportRowError(line=csv_row.line, field=column, message="Must not be blank."))
        elif cell or column not in BLANK_IS_UNCHANGED:
            values[column] = cell.upper() if column == "status" else cell
    # The rule every request's text meets (kit.schemas.text_problem); only description may span lines.
    problems.extend(
        ImportRowError(line=csv_row.line, field=str(error.loc[0]), message=error.message)
        for error in ImportRow.text_errors(values)
    )
    try:
        row = ImportRow.model_validate(values)
    except ValidationError as error:
        # A cell already refused (blank, or by the text rule) is reported once.
        blank = {problem.field for problem in problems}
        problems.extend(
            ImportRowError(
                line=csv_row.line,
                field=str(detail["loc"][0]) if detail["loc"] else "row",
                message=detail["msg"].removeprefix("Value error, "),
            )
            for detail in error.errors()
            if not detail["loc"] or str(detail["loc"][0]) not in blank
        )
        row = None
    errors.extend(problems)
    return row if not problems else None


def _outcome(
    company_id: uuid.UUID,
    rows: list[tuple[int, ImportRow]],
    existing: dict[str, Product],
    currency: str,
    active_before: int,
) -> _Outcome:
    outcome = _Outcome()
    active = active_before
    now = utcnow()
    for _, row in rows:
        current = existing.get(sku_key(row.sku))
        if current is None:
            product = _new_product(company_id, row, now)
            outcome.inserts.append(product.columns())
            if product.status is ProductStatus.ACTIVE:
                active += 1
                outcome.takes_slots = True
            event: Event = ProductCreated.of(product, currency, active_products=active)
            outcome.events.append((event, product_entity(product.id)))
            continue
        product, changes = _changed_product(current, row, now)
        status_changed = product.status is not current.status
        if not changes and not status_changed:
            outcome.unchanged += 1
            continue
        outcome.updates.append(product.changed_columns())
        if changes:
            outcome.events.append((ProductUpdated.of(product, currency, changes=changes), product_entity(product.id)))
        if status_changed:
            if product.status is ProductStatus.ACTIVE:
                active += 1
                outcome.takes_slots = True
                event = ProductRestored.of(product, currency, active_products=active)
            else:
                active -= 1
                event = ProductArchived.of(product, currency, active_products=active)
            outcome.events.append((event, product_entity(product.id)))
    outcome.active_after = active
    return outcome


@dataclass(frozen=True, slots=True)
class _ProductValues:
    """A product's columns as the bulk statements write them: lighter than ORM objects by the thousand."""

    id: uuid.UUID
    company_id: uuid.UUID
    sku: str
    name: str
    description: str | None
    unit_price: Decimal
    unit_of_sale: str
    status: ProductStatus
    category: str | None
    image_url: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def sku_key(self) -> str:
        return sku_key(self.sku)

    def columns(self) -> dict[str, Any]:
        """Column values for the bulk INSERT."""
        return {slot: getattr(self, slot) for slot in self.__slots__} | {"sku_key": self.sku_key}

    def changed_columns(self) -> dict[str, Any]:
        """Column values for the bulk UPDATE: every one a row may change, by `product_id`."""
        kept = ("id", "company_id", "created_at")
        values = {slot: getattr(self, slot) for slot in self.__slots__ if slot not in kept}
        return {"product_id": self.id, "sku_key": self.sku_key, **values}


def _new_product(company_id: uuid.UUID, row: ImportRow, now: datetime) -> _ProductValues:
    assert row.name is not None
    assert row.unit_price is not None
    return _ProductValues(
        id=new_id(),
        company_id=company_id,
        sku=row.sku,
        name=row.name,
        description=row.description,
        unit_price=row.unit_price,
        unit_of_sale=row.unit_of_sale or DEFAULT_UNIT_OF_SALE,
        status=row.status or ProductStatus.ACTIVE,
        category=row.category,
        image_url=row.image_url,
        created_at=now,
        updated_at=now,
    )


def _changed_product(current: Product, row: ImportRow, now: datetime) -> tuple[_ProductValues, list[str]]:
    """`current` with the row applied, and the names of the fields (other than status) that changed.

    A copy: the session's own object stays out of the unit of work, the bulk UPDATE writes the change.
    """
    values = {attribute: getattr(current, attribute) for attribute in (*CHANGE_NAMES, "status")}
    given = row.model_fields_set
    for attribute in values:
        new = getattr(row, attribute)
        if attribute in given and (new is not None or attribute in CLEARABLE):
            values[attribute] = new
    changes = [CHANGE_NAMES[a] for a in CHANGE_NAMES if values[a] != getattr(current, a)]
    product = _ProductValues(
        id=current.id,
        company_id=current.company_id,
        created_at=current.created_at,
        updated_at=now if changes or values["status"] is not current.status else current.updated_at,
        **values,
    )
    return product, changes
