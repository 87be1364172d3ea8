"""A service's worker: its event consumer, company purges, the pruning of processed-event records and the
service's own background loops (`ServiceSpec.background`).

Full mode runs it as its own process (`python -m services.<name> worker`, any number of replicas on the
one queue); embedded mode and service tests run it inside the API's lifespan (`run_worker=True`).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import MetaData, delete, select

from kit.bus import Bus
from kit.db import Database, utcnow
from kit.purge import CompanyPurger
from kit.settings import PlatformSettings

if TYPE_CHECKING:
    from kit.service import ServiceSpec

logger = logging.getLogger(__name__)

# A service's own loop (webhooks' sender): started with the worker on its database, cancelled when it stops.
BackgroundWork = Callable[[Database, PlatformSettings], Awaitable[None]]

PRUNE_INTERVAL = timedelta(hours=1)
PRUNE_BATCH = 10_000


async def prune_processed_events(database: Database, metadata: MetaData, retention: timedelta) -> int:
    """Delete processed-event records older than `retention`, in short batches; returns how many.

    A redelivery later than that is applied again: retention is days, retries and outages are minutes.
    """
    processed = metadata.tables["processed_events"]
    cutoff = utcnow() - retention
    total = 0
    while True:
        async with database.sessionmaker() as session:
            old = select(processed.c.event_id).where(processed.c.processed_at < cutoff).limit(PRUNE_BATCH)
            result = await session.execute(delete(processed).where(processed.c.event_id.in_(old)))
            await session.commit()
        deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < PRUNE_BATCH:
            break
    # Deleted companies are remembered as long as processed records: later events about them are dropped.
    companies = metadata.tables["deleted_companies"]
    async with database.sessionmaker() as session:
        await session.execute(delete(companies).where(companies.c.deleted_at < cutoff))
        await session.commit()
    return total


class ServiceWorker:
    """Runs a service's background work on its database and bus until stopped."""

    def __init__(self, spec: "ServiceSpec", database: Database, platform: PlatformSettings, bus: Bus) -> None:
        self.spec = spec
        self.database = database
        self.platform = platform
        self.bus = bus
        self.purger = CompanyPurger(database, spec.metadata, spec.purge)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.database.session_info.setdefault("metadata", self.spec.metadata)
        self.database.session_info["purge_wake"] = self.purger.wake
        if self.spec.consumer is not None:
            await self.spec.consumer.start(self.bus, self.database, self.spec.metadata, self.platform.namespace)
        self._tasks = [asyncio.create_task(self.purger.run()), asyncio.create_task(self._prune_forever())]
        self._tasks += [asyncio.create_task(self._background(work)) for work in self.spec.background]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _background(self, work: BackgroundWork) -> None:
        # A loop should catch its own errors and go on; one that fails anyway is logged, not silently gone, and
        # not re-raised, so stopping the worker (which cancels and awaits it) still stops cleanly.
        try:
            await work(self.database, self.platform)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("background work failed", extra={"work": getattr(work, "__qualname__", repr(work))})

    async def _prune_forever(self) -> None:
        retention = timedelta(days=self.platform.processed_events_retention_days)
        while True:
            try:
                pruned = await prune_processed_events(self.database, self.spec.metadata, retention)
                if pruned:
                    logger.info("pruned processed-event records", extra={"rows": pruned})
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.error("could not prune processed-event records", extra={"error": repr(error)})
            await asyncio.sleep(PRUNE_INTERVAL.total_seconds())
