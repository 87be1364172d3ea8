"""The orders service, its API and its worker in one process, on a fresh database, for its tests."""

from collections.abc import AsyncIterator

import pytest

from kit.context import ContextSigner
from kit.settings import PlatformSettings
from services.orders.app import create_app
from services.orders.settings import OrdersSettings
from tests.conftest import DatabaseFactory
from tests.support.services import RunningService, running_service


@pytest.fixture(scope="module")
async def orders(
    platform: PlatformSettings, new_database: DatabaseFactory, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    app = create_app(OrdersSettings(database_url=await new_database("orders")), platform, run_worker=True)
    async with running_service("orders", app, platform, signer) as service:
        yield service
