"""Bulk CSV import of products: every row validated, all applied or none, in a handful of statements.

Rows are matched to products by SKU (ignoring letter case): a known SKU updates its product, an
unknown one creates a product. A column the file leaves out keeps its value on updated products and
takes its default on new ones; a blank unitOfSale or status does the same; a blank description,
category or imageUrl clears it.
"""

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.catalog import ProductCreated, ProductsImported, ProductUpdated
from kit.access import require_staff_or_key
from kit.context import RequestContext
from kit.db import new_id, utcnow
from kit.errors import InvalidInput, ProblemError, problem_body
from kit.events import EntityRef, Event
from kit.outbox import emit_many
from services.catalog.models import ProductStatus
from services.catalog.products.csv_format import CsvFile, CsvRow, read_products_csv
from services.catalog.products.events import catalog_entity, product_entity, product_event
from services.catalog.products.repository import (
    ActiveCount,
    ProductCounterRepository,
    ProductRepository,
    ProductValues,
    sku_key,
)
from services.catalog.products.schemas import DEFAULT_UNIT_OF_SALE, ImportResult, ImportRow, ImportRowError
from services.catalog.products.service import (
    CHANGE_NAMES,
    CLEARABLE,
    lock_active_count,
    product_limit_reached,
    status_event,
)
from services.catalog.tenants.service import get_tenant

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
    """What applying the file does, in the file's order: products to insert and update, and their events."""

    inserts: list[ProductValues] = field(default_factory=list)
    updates: list[ProductValues] = field(default_factory=list)
    events: list[tuple[Event, EntityRef]] = field(default_factory=list)
    unchanged: int = 0
    # Whether any row creates or restores an ACTIVE product (takes a maxProducts slot).
    takes_slots: bool = False
    # The ACTIVE products once applied, at the version of the last event that carries the count.
    count: ActiveCount = field(default_factory=lambda: ActiveCount(0, 0))


async def import_products(session: AsyncSession, text: str, *, context: RequestContext) -> ImportResult:
    company_id = require_staff_or_key(context, "catalog:write")
    parsed = read_products_csv(text)
    if len(parsed.rows) > MAX_IMPORT_ROWS:
        raise InvalidInput(f"An import takes at most {MAX_IMPORT_ROWS:,} rows; split the file into smaller ones.")
    rows, errors = _validated_rows(parsed)

    # The counter row first, then the file's products, as every change of the count takes them.
    count = await lock_active_count(session, company_id)
    repository = ProductRepository(session, company_id)
    # One query finds (and locks) every SKU of the file that the catalog already has.
    existing = await repository.lock_by_sku_keys([sku_key(row.sku) for _, row in rows])
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

    outcome = _outcome(company_id, rows, existing, count.currency, count)
    created, updated = len(outcome.inserts), len(outcome.updates)
    active_after = outcome.count.active_products
    # Like one product at a time: adding past the limit is refused, archiving frees slots for the file's new ones.
    if count.max_products is not None and outcome.takes_slots and active_after > count.max_products:
        raise product_limit_reached(await get_tenant(session, company_id), active_after=active_after)

    await repository.insert_many(outcome.inserts)
    await repository.write_many(outcome.updates)
    # The counter, once, at the version of the summary.
    after = ActiveCount(active_after, outcome.count.version + 1)
    await ProductCounterRepository(session, company_id).save(after)
    summary = ProductsImported(
        created=created, updated=updated, active_products=after.active_products, active_products_version=after.version
    )
    await emit_many(
        session,
        [*outcome.events, (summary, catalog_entity(company_id, after.version))],
        company_id=company_id,
        context=context,
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
    existing: dict[str, ProductValues],
    currency: str,
    before: ActiveCount,
) -> _Outcome:
    """Each event that carries the active count gets the count's next version: a consumer keeping the newest
    count by version ends at the file's last."""
    outcome = _Outcome()
    active, count_version = before.active_products, before.version
    now = utcnow()
    for _, row in rows:
        current = existing.get(sku_key(row.sku))
        if current is None:
            product = _new_product(company_id, row, now)
            outcome.inserts.append(product)
            if product.status is ProductStatus.ACTIVE:
                active += 1
                outcome.takes_slots = True
            count_version += 1
            event: Event = product_event(
                ProductCreated, product, currency, active_products=active, active_products_version=count_version
            )
            outcome.events.append((event, product_entity(product.id, product.version)))
            continue
        product, changes = _changed_product(current, row, now)
        status_changed = product.status is not current.status
        if not changes and not status_changed:
            outcome.unchanged += 1
            continue
        outcome.updates.append(product)
        # One version per event, in order, as a single change through the API does.
        version = current.version
        if changes:
            version += 1
            updated = product_event(ProductUpdated, product, currency, changes=changes)
            outcome.events.append((updated, product_entity(product.id, version)))
        if status_changed:
            if product.status is ProductStatus.ACTIVE:
                active += 1
                outcome.takes_slots = True
            else:
                active -= 1
            count_version += 1
            version += 1
            event = status_event(product, currency, ActiveCount(active, count_version))
            outcome.events.append((event, product_entity(product.id, version)))
    outcome.count = ActiveCount(active, count_version)
    return outcome


def _new_product(company_id: uuid.UUID, row: ImportRow, now: datetime) -> ProductValues:
    assert row.name is not None
    assert row.unit_price is not None
    return ProductValues(
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
        version=1,
    )


def _changed_product(current: ProductValues, row: ImportRow, now: datetime) -> tuple[ProductValues, list[str]]:
    """`current` with the row applied (its version raised by one per event the change raises), and the names
    of the fields (other than status) that changed."""
    values = {attribute: getattr(current, attribute) for attribute in (*CHANGE_NAMES, "status")}
    given = row.model_fields_set
    for attribute in values:
        new = getattr(row, attribute)
        if attribute == "sku":
            # The row found the product by its SKU in any letter case: the stored SKU keeps its own.
            continue
        if attribute in given and (new is not None or attribute in CLEARABLE):
            values[attribute] = new
    changes = [CHANGE_NAMES[a] for a in CHANGE_NAMES if values[a] != getattr(current, a)]
    raised = (1 if changes else 0) + (1 if values["status"] is not current.status else 0)
    product = dataclasses.replace(
        current, **values, updated_at=now if raised else current.updated_at, version=current.version + raised
    )
    return product, changes
