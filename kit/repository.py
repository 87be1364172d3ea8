"""Tenant-scoped data access: every query a repository builds starts from `company_id = :company`."""

import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import TenantMixin, upsert
from kit.errors import NotFound

ModelT = TypeVar("ModelT", bound=TenantMixin)
T = TypeVar("T")


class TenantRepository(Generic[ModelT]):
    """Base of a service's repositories for company-owned rows. Subclasses set `model`."""

    model: type[ModelT]

    def __init__(self, session: AsyncSession, company_id: uuid.UUID) -> None:
        self.session = session
        self.company_id = company_id

    def statement(self) -> Select[ModelT]:
        """The one place tenancy is applied: build every query from here."""
        return select(self.model).where(self.model.company_id == self.company_id)

    async def one(self) -> ModelT | None:
        """The company's row of a model that has at most one per company."""
        entity: ModelT | None = await self.session.scalar(self.statement())
        return entity

    async def get(self, entity_id: uuid.UUID) -> ModelT | None:
        model: Any = self.model
        entity: ModelT | None = await self.session.scalar(self.statement().where(model.id == entity_id))
        return entity

    async def get_or_404(self, entity_id: uuid.UUID, what: str) -> ModelT:
        return found(await self.get(entity_id), what)

    async def count(self, *conditions: Any) -> int:
        statement = (
            select(func.count()).select_from(self.model).where(self.model.company_id == self.company_id, *conditions)
        )
        return int(await self.session.scalar(statement) or 0)

    async def lock_or_create(self, *, unique: Sequence[str] = ("company_id",), **values: Any) -> ModelT:
        """The company's row that the unique columns `unique` identify, locked until commit, inserted from
        `values` first when missing. By default the model has one row per company (a tenant's read model).

        Insert-if-missing then lock, so two events about a new row handled at once never collide.
        """
        row = {**values, "company_id": self.company_id}
        insert = upsert(self.session, self.model).values(row).on_conflict_do_nothing(index_elements=list(unique))
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
