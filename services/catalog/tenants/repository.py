"""Queries on catalog's tenant rows, each scoped to one company."""

from kit.repository import TenantRepository
from services.catalog.models import Tenant


class LocalTenantRepository(TenantRepository[Tenant]):
    model = Tenant

    async def lock(self) -> Tenant | None:
        tenant: Tenant | None = await self.session.scalar(self.statement().with_for_update())
        return tenant
