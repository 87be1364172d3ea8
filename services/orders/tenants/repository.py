"""Queries on orders' tenant rows, each scoped to one company."""

from kit.repository import TenantRepository
from services.orders.models import Tenant


class LocalTenantRepository(TenantRepository[Tenant]):
    model = Tenant
