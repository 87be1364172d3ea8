"""Queries on companies. A company is the tenant root, so it is looked up by its own id or slug."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import Company


class CompanyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: uuid.UUID) -> Company | None:
        return await self.session.get(Company, company_id)

    async def get_by_slug(self, slug: str) -> Company | None:
        company: Company | None = await self.session.scalar(select(Company).where(Company.slug == slug))
        return company

    async def taken_slugs(self, candidates: Sequence[str]) -> set[str]:
        rows = await self.session.scalars(select(Company.slug).where(Company.slug.in_(candidates)))
        return set(rows.all())

    def add(self, company: Company) -> Company:
        self.session.add(company)
        return company
