"""A service app running in-process on the real servers, as its own tests drive it."""

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from kit.context import ContextSigner, Principal
from kit.db import Database
from kit.settings import PlatformSettings
from tests.conftest import context_headers, start_app
from tests.support.events import wait_for_consumer


@dataclass(frozen=True)
class RunningService:
    name: str
    client: httpx.AsyncClient
    database: Database
    signer: ContextSigner

    def headers(self, company_id: uuid.UUID | None) -> dict[str, str]:
        """The context the gateway would forward for a staff owner of `company_id`."""
        owner = Principal(type="user", id=uuid.uuid4(), role="OWNER")
        return context_headers(self.signer, self.name, company_id=company_id, principal=owner)

    async def get(self, path: str, company_id: uuid.UUID | None) -> httpx.Response:
        return await self.client.get(path, headers=self.headers(company_id))


@asynccontextmanager
async def running_service(
    name: str, app: FastAPI, platform: PlatformSettings, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    """Start `app` and wait until its in-process worker consumes its queue, so events published next reach it.

    Build the app with `run_worker=True` (full mode runs the worker as a process of its own).
    """
    async with AsyncExitStack() as stack:
        client = await start_app(stack, app)
        runtime = app.state.runtime
        if runtime.spec.consumer is not None and runtime.spec.consumer.handles_events:
            assert runtime.worker is not None, f"{name}: build the app with run_worker=True to consume events"
            await wait_for_consumer(platform, name)
        yield RunningService(name, client, app.state.database, signer)
