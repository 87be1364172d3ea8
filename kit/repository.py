"""Tenant-scoped data access: every query a repository builds starts from `company_id = :company`.

This module is the one place that writes that condition (`tests/lint_rules.py` fails `make lint` on a
hand-written one elsewhere): `TenantRepository.statement()` for ORM queries of one request, and the
scoped builders below for statements built once at import and run with `{COMPANY: company_id}` bound.
"""

import functools
import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Delete,
    Select,
    Table,
    Update,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import ReadOnlySession, TenantMixin, insert_for
from kit.errors import NotFound

ModelT = TypeVar("ModelT", bound=TenantMixin)
T = TypeVar("T")


class TenantReader(Generic[ModelT]):
    """The reading half of a repository of company-owned rows: works on a read-only session (`kit.db.ReadSession`).

    Subclasses set `model`; a repository that also writes derives from `TenantRepository`.
    """

    model: type[ModelT]

    def __init__(self, session: ReadOnlySession, company_id: uuid.UUID) -> None:
        self.session = session
        self.company_id = company_id

    def statement(self) -> Select[ModelT]:
        """The one place tenancy is applied: build every query from here."""
        return select(self.model).where(self.model.company_id == self.company_id)

    async def one(self) -> ModelT | None:
        """The company's row of a model that has at most one per company."""
        model: Any = self.model
        entity: ModelT | None = await self.session.scalar(_company_row(model), {COMPANY: self.company_id})
        return entity

    async def get(self, entity_id: uuid.UUID) -> ModelT | None:
        model: Any = self.model
        parameters = {COMPANY: self.company_id, ENTITY: entity_id}
        entity: ModelT | None = await self.session.scalar(_row_by_id(model), parameters)
        return entity

    async def get_or_404(self, entity_id: uuid.UUID, what: str) -> ModelT:
        return found(await self.get(entity_id), what)

    async def count(self, *conditions: Any) -> int:
        statement = (
            select(func.count()).select_from(self.model).where(self.model.company_id == self.company_id, *conditions)
        )
        return int(await self.session.scalar(statement) or 0)


class TenantRepository(TenantReader[ModelT]):
    """Base of a service's repositories for company-owned rows, reading and writing. Subclasses set `model`."""

    session: AsyncSession

    def __init__(self, session: AsyncSession, company_id: uuid.UUID) -> None:
        super().__init__(session, company_id)
        self.session = session

    async def lock_or_create(self, *, unique: Sequence[str] = ("company_id",), **values: Any) -> ModelT:
        """The company's row that the unique columns `unique` identify, locked until commit, inserted from
        `values` first when missing. By default the model has one row per company (a tenant's read model).

        Insert-if-missing then lock, so two events about a new row handled at once never collide.
        """
        row = {**values, "company_id": self.company_id}
        insert = insert_for(self.session, self.model).values(row).on_conflict_do_nothing(index_elements=list(unique))
        await self.session.execute(insert)
        model: Any = self.model
        identified = [getattr(model, column) == row[column] for column in unique if column != "company_id"]
        return (await self.session.scalars(self.statement().where(*identified).with_for_update())).one()

    def add(self, entity: ModelT) -> ModelT:
        if entity.company_id != self.company_id:
            raise ValueError("entity belongs to another company")
        self.session.add(entity)
        return entity

    async def delete(self, entity: ModelT) -> None:
        await self.session.delete(entity)


# The bound parameter of every statement the scoped builders make: execute them with `{COMPANY: company_id}`.
COMPANY = "for_company"


def _table(table: Any) -> Table:
    return table if isinstance(table, Table) else table.__table__


def company_parameter(table: Any) -> BindParameter[Any]:
    """`:for_company`, typed like `table`'s company_id column (a Table or a model)."""
    return bindparam(COMPANY, type_=_table(table).c.company_id.type)


def in_company(table: Any) -> ColumnElement[bool]:
    """`table.company_id = :for_company`, for a statement a scoped builder cannot make (a correlated subquery)."""
    return _table(table).c.company_id == company_parameter(table)


def scoped_select(table: Any, *columns: Any) -> Select[Any]:
    """SELECT `columns` (the whole row when none are named) of the company's rows of `table`."""
    return select(*columns or (table,)).where(in_company(table))


def scoped_update(table: Any) -> Update:
    """UPDATE the company's rows of `table`; add `.where(...)` and `.values(...)`."""
    return update(table).where(in_company(table))


def scoped_delete(table: Any) -> Delete:
    """DELETE the company's rows of `table`; add `.where(...)`."""
    return delete(table).where(in_company(table))


# The bound id of `_row_by_id`'s statements.
ENTITY = "entity_id"


# The lookups every repository makes, built once per model: building a statement costs more than running it.
@functools.cache
def _company_row(model: Any) -> Select[Any]:
    return scoped_select(model)


@functools.cache
def _row_by_id(model: Any) -> Select[Any]:
    return scoped_select(model).where(model.id == bindparam(ENTITY, type_=_table(model).c.id.type))


def found(value: T | None, what: str) -> T:
    """The value, or a 404 that reads the same whether the row is absent or another tenant's."""
    if value is None:
        raise NotFound(f"{what} not found.")
    return value


LIKE_ESCAPE = "\\"


def substring_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own `%`, `_` and `\\` taken literally (use with
    `escape=LIKE_ESCAPE`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
