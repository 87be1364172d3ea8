"""Catalog test fixtures: the service, its API and its worker in one process, on a fresh PostgreSQL database,
fed by real RabbitMQ."""

from collections.abc import AsyncIterator

import pytest

from kit.context import ContextSigner
from kit.settings import PlatformSettings
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from tests.catalog.support import Catalog
from tests.conftest import DatabaseFactory
from tests.support.services import running_service


# Per module, not per session: test_tenants.py runs its own catalog, and two consumers of one queue
# would split the events between their databases.
@pytest.fixture(scope="module")
async def catalog(
    platform: PlatformSettings, new_database: DatabaseFactory, signer: ContextSigner
) -> AsyncIterator[Catalog]:
    app = create_app(CatalogSettings(database_url=await new_database("catalog")), platform, run_worker=True)
    async with running_service("catalog", app, platform, signer) as service:
        yield Catalog(service, platform)
