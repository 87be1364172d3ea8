"""Company purge: when a company is deleted, every service deletes all of its rows, in short batches.

A service lists every table of its own that has a `company_id` column in a `PurgePlan` (children
first); `ServiceSpec` refuses to build when one is missing, so a table added later cannot be forgotten.
It registers `schedule_purge` for `CompanyDeleted`, which records a pending purge in the consumer's
transaction. The worker's `CompanyPurger` then deletes the company's rows table by table, each batch in
its own short transaction (no long lock), and removes the record with the last batch; a purge cut short
by a crash resumes from the record at the next start. On PostgreSQL each purge transaction sets
`distribu.purging_company`, which append-only triggers (the audit log) check to allow exactly its DELETEs.
The service also remembers the company's id (`deleted_companies`, no other data) for the processed-event
retention period, and its consumer drops any event about that company that arrives after the deletion.
"""

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import MetaData, Table, delete, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import KIT_TABLES, Database, after_commit, insert_for, utcnow
from kit.events import EventEnvelope

logger = logging.getLogger(__name__)

# The kit's own tables with company rows, purged after the service's: processed records, then the outbox.
KIT_PURGED_TABLES = ("processed_events", "outbox")


@dataclass(frozen=True)
class PurgePlan:
    """The service's tables holding company rows, in the order to empty them (children first)."""

    tables: tuple[str, ...] = ()
    # Rows deleted per transaction: small enough that no batch holds its locks for long.
    batch_size: int = 1000


def company_tables(metadata: MetaData) -> list[str]:
    """The service's own tables that have a `company_id` column (the kit's tables excluded)."""
    return [table.name for table in metadata.sorted_tables if "company_id" in table.c and table.name not in KIT_TABLES]


def unlisted_tables(metadata: MetaData, plan: PurgePlan) -> list[str]:
    """Tables with company rows that the plan would leave behind."""
    return [name for name in company_tables(metadata) if name not in plan.tables]


def check_plan(service: str, metadata: MetaData, plan: PurgePlan) -> None:
    """ValueError naming the first table the plan forgets, or names wrongly."""
    for name in unlisted_tables(metadata, plan):
        raise ValueError(
            f"{service}: table {name!r} has a company_id column but is not in the service's PurgePlan, so a deleted "
            f"company's rows would stay in it; add it to ServiceSpec(purge=PurgePlan(tables=(...)))"
        )
    for name in plan.tables:
        table = metadata.tables.get(name)
        if table is None or "company_id" not in table.c:
            raise ValueError(f"{service}: PurgePlan lists {name!r}, not a table of the service with company_id")


async def schedule_purge(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Handler of `CompanyDeleted`: record the purge in the consumer's transaction; the worker does it."""
    purges = session.info["metadata"].tables["company_purges"]
    now = utcnow()
    companies = {envelope.company_id for envelope in events if envelope.company_id is not None}
    rows = [{"company_id": company_id, "scheduled_at": now} for company_id in sorted(companies)]
    if not rows:
        return
    await session.execute(insert_for(session, purges).on_conflict_do_nothing(index_elements=["company_id"]), rows)
    deleted = session.info["metadata"].tables["deleted_companies"]
    marks = [{"id": company_id, "deleted_at": now} for company_id in sorted(companies)]
    await session.execute(insert_for(session, deleted).on_conflict_do_nothing(index_elements=["id"]), marks)
    wake = session.info.get("purge_wake")
    if wake is not None:
        after_commit(session, wake)


class CompanyPurger:
    """Works through the pending purges of one service's database until stopped."""

    def __init__(self, database: Database, metadata: MetaData, plan: PurgePlan, *, poll_interval: float = 5.0) -> None:
        self.database = database
        self.plan = plan
        self.purges = metadata.tables["company_purges"]
        self.tables = [metadata.tables[name] for name in (*plan.tables, *KIT_PURGED_TABLES)]
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()

    async def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Purge what is pending (also what a crash left unfinished), then wait for the next."""
        while True:
            self._wake.clear()
            try:
                await self.purge_pending()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.error("company purge failed; will retry", extra={"error": repr(error)})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()

    async def purge_pending(self) -> int:
        """Purge every pending company; returns how many this call finished."""
        async with self.database.read_sessionmaker() as session:
            pending = list(await session.scalars(select(self.purges.c.company_id).order_by(self.purges.c.scheduled_at)))
        finished = 0
        for company_id in pending:
            finished += await self.purge(company_id)
        return finished

    async def purge(self, company_id: uuid.UUID) -> bool:
        """Delete the company's rows batch by batch; False if another worker holds the purge or it is gone."""
        logger.info("purging a deleted company's rows", extra={"company_id": str(company_id)})
        counts: dict[str, int] = {}
        for index, table in enumerate(self.tables):
            last_table = index == len(self.tables) - 1
            while True:
                deleted = await self._delete_batch(company_id, table, last_table=last_table)
                if deleted is None:
                    return False
                counts[table.name] = counts.get(table.name, 0) + deleted
                if deleted < self.plan.batch_size:
                    break
        logger.info(
            "purged a deleted company's rows",
            extra={"company_id": str(company_id), "rows": sum(counts.values()), "tables": counts},
        )
        return True

    async def _delete_batch(self, company_id: uuid.UUID, table: Table, *, last_table: bool) -> int | None:
        """One short transaction: up to a batch of the company's rows of `table`; with the last, the record."""
        purges = self.purges
        async with self.database.sessionmaker() as session:
            claimed = await session.scalar(
                select(purges.c.company_id).where(purges.c.company_id == company_id).with_for_update(skip_locked=True)
            )
            if claimed is None:
                return None
            if not self.database.is_sqlite:
                await session.execute(
                    text("SELECT set_config('distribu.purging_company', :company, true)"), {"company": str(company_id)}
                )
            key = list(table.primary_key.columns)
            batch = select(*key).where(table.c.company_id == company_id).limit(self.plan.batch_size)
            target = key[0].in_(batch) if len(key) == 1 else tuple_(*key).in_(batch)
            result = await session.execute(delete(table).where(target))
            deleted = int(getattr(result, "rowcount", 0) or 0)
            if last_table and deleted < self.plan.batch_size:
                await session.execute(delete(purges).where(purges.c.company_id == company_id))
            elif deleted:
                await session.execute(
                    update(purges)
                    .where(purges.c.company_id == company_id)
                    .values(deleted_rows=purges.c.deleted_rows + deleted)
                )
            await session.commit()
        return deleted
