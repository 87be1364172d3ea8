"""Queries on companies (the tenant root, looked up by its own id or slug) and on what deleting one removes."""

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import delete, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from kit.repository import COMPANY, scoped_delete, scoped_select
from services.identity.models import ApiKey, Company, CompanyTombstone, Customer, CustomerContact, Membership, User


class CompanyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: uuid.UUID) -> Company | None:
        return await self.session.get(Company, company_id)

    async def lock(self, company_id: uuid.UUID) -> Company | None:
        """The company, its row locked until commit and re-read: a change reads what it changes under the lock."""
        company: Company | None = await self.session.scalar(
            select(Company).where(Company.id == company_id).with_for_update().execution_options(populate_existing=True)
        )
        return company

    async def hold(self, company_id: uuid.UUID) -> bool:
        """Key-share lock the company's row until commit; False when it is gone.

        Taken first by writes that lock other rows of the company and then insert rows referencing it:
        a deletion (which locks the company first) and they then queue in one order, never deadlock.
        """
        held = await self.session.scalar(
            select(Company.id).where(Company.id == company_id).with_for_update(key_share=True)
        )
        return held is not None

    async def get_by_slug(self, slug: str) -> Company | None:
        company: Company | None = await self.session.scalar(select(Company).where(Company.slug == slug))
        return company

    async def taken_slugs(self, candidates: Sequence[str]) -> set[str]:
        rows = await self.session.scalars(select(Company.slug).where(Company.slug.in_(candidates)))
        return set(rows.all())

    def add(self, company: Company) -> Company:
        self.session.add(company)
        return company


class CompanyDeletionRepository:
    """What deleting one company reads and removes in identity's own tables, beside the company row."""

    def __init__(self, session: AsyncSession, company_id: uuid.UUID) -> None:
        self.session = session
        self.company_id = company_id

    async def remove_memberships(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Delete the company's memberships; (membership id, user id) of each."""
        rows = await self.session.execute(
            scoped_delete(Membership)
            .returning(Membership.id, Membership.user_id)
            .execution_options(synchronize_session=False),
            {COMPANY: self.company_id},
        )
        return [(membership_id, user_id) for membership_id, user_id in rows.all()]

    async def remove_users_without_membership(self, user_ids: Collection[uuid.UUID]) -> int:
        """Delete those of `user_ids` who belong to no company any more; how many went."""
        if not user_ids:
            return 0
        elsewhere = select(Membership.id).where(Membership.user_id == User.id).exists()
        result = await self.session.execute(
            delete(User).where(User.id.in_(set(user_ids)), ~elsewhere).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def api_key_hashes(self) -> list[str]:
        statement = scoped_select(ApiKey, ApiKey.secret_hash)
        return list((await self.session.scalars(statement, {COMPANY: self.company_id})).all())

    async def storefront_account_ids(self) -> list[uuid.UUID]:
        """The ids storefront sessions point at: every customer (primary account) and contact of the company."""
        statement = union_all(scoped_select(Customer, Customer.id), scoped_select(CustomerContact, CustomerContact.id))
        return list((await self.session.scalars(statement, {COMPANY: self.company_id})).all())

    async def replace_with_tombstone(self, company: Company, tombstone: CompanyTombstone) -> None:
        """Delete the company row (its slug is free once this commits) and keep the tombstone instead."""
        self.session.add(tombstone)
        await self.session.delete(company)
        await self.session.flush()
