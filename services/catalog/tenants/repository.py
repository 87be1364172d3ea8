"""Queries on catalog's tenant rows, each scoped to one company."""

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from kit.repository import TenantRepository
from services.catalog.models import Tenant


class LocalTenantRepository(TenantRepository[Tenant]):
    model = Tenant

    async def find(self) -> Tenant | None:
        tenant: Tenant | None = await self.session.scalar(self.statement())
        return tenant

    async def lock_or_create(self) -> Tenant:
        """The company's row, locked until commit; created empty when no event has made it yet.

        Insert-if-missing then lock, so two events of a new company handled at once never collide.
        """
        await self.session.execute(self._insert_if_missing())
        return (await self.session.scalars(self.statement().with_for_update())).one()

    def _insert_if_missing(self) -> Insert:
        values = {"company_id": self.company_id}
        if self.session.get_bind().dialect.name == "postgresql":
            return postgresql.insert(Tenant).values(values).on_conflict_do_nothing(index_elements=["company_id"])
        return sqlite.insert(Tenant).values(values).on_conflict_do_nothing(index_elements=["company_id"])
