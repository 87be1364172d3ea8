"""Tenant-scoped data access: every query a repository builds starts from `company_id = :company`."""

import uuid
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import TenantMixin
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

    async def lock_or_create(self, **defaults: Any) -> ModelT:
        """For a model with one row per company (`company_id` unique, e.g. a read model of a tenant):
        that row, locked until commit, inserted from `defaults` first when missing.

        Insert-if-missing then lock, so two events about a new company handled at once never collide.
        """
        values = {**defaults, "company_id": self.company_id}
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await self.session.execute(
            insert(self.model).values(values).on_conflict_do_nothing(index_elements=["company_id"])
        )
        return (await self.session.scalars(self.statement().with_for_update())).one()

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
