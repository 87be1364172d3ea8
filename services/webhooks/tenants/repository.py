"""Queries on webhooks' tenant rows, each scoped to one company."""

from kit.repository import TenantRepository
from services.webhooks.models import Tenant


class LocalTenantRepository(TenantRepository[Tenant]):
    model = Tenant
