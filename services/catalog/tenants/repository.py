"""Queries on catalog's tenant rows, each scoped to one company."""

from kit.repository import TenantRepository
from services.catalog.models import Tenant


class LocalTenantRepository(TenantRepository[Tenant]):
    model = Tenant
