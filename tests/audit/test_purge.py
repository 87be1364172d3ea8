"""The audit log is append-only, with one way out: a deleted company's entries, removed by its purge."""

import uuid

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from kit.db import Database
from services.audit.audit_log import service
from services.audit.models import AuditLog
from tests.audit.conftest import AuditService, envelope
from tests.contracts.envelopes import company_deleted
from tests.support.events import wait_until
from tests.support.purge import company_rows

PURGING = text("SELECT set_config('distribu.purging_company', :company_id, true)")


async def entries_of(database: Database, company_id: uuid.UUID) -> int:
    async with database.sessionmaker() as session:
        statement = select(func.count()).select_from(AuditLog).where(AuditLog.company_id == company_id)
        return int(await session.scalar(statement) or 0)


async def record(database: Database, *company_ids: uuid.UUID) -> None:
    async with database.sessionmaker() as session:
        await service.record(session, [envelope(company_id) for company_id in company_ids for _ in range(2)])
        await session.commit()


async def test_entries_can_be_neither_updated_nor_deleted_nor_truncated(log: Database) -> None:
    company_id = uuid.uuid4()
    await record(log, company_id)

    refused: list[Executable] = [
        update(AuditLog).where(AuditLog.company_id == company_id).values(action="Rewritten"),
        delete(AuditLog).where(AuditLog.company_id == company_id),
        text("TRUNCATE audit_logs"),
    ]
    for statement in refused:
        async with log.sessionmaker() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(statement)

    assert await entries_of(log, company_id) == 2
    async with log.sessionmaker() as session:
        actions = await session.scalars(select(AuditLog.action).where(AuditLog.company_id == company_id))
        assert set(actions) == {"CompanyUpdated"}


async def test_a_purge_transaction_deletes_the_entries_of_its_company_only(log: Database) -> None:
    purged, other = uuid.uuid4(), uuid.uuid4()
    await record(log, purged, other)

    async with log.sessionmaker() as session:
        await session.execute(PURGING, {"company_id": str(purged)})
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(delete(AuditLog).where(AuditLog.company_id == other))
    async with log.sessionmaker() as session:
        await session.execute(PURGING, {"company_id": str(purged)})
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(update(AuditLog).where(AuditLog.company_id == purged).values(action="Rewritten"))
    async with log.engine.connect() as connection:
        async with connection.begin():
            await connection.execute(PURGING, {"company_id": str(purged)})
            await connection.execute(delete(AuditLog).where(AuditLog.company_id == purged))
        # The setting ended with that transaction: the connection, back in the pool, purges nothing more.
        setting = await connection.scalar(text("SELECT current_setting('distribu.purging_company', true)"))
        assert not setting

    assert (await entries_of(log, purged), await entries_of(log, other)) == (0, 2)


async def test_a_deleted_companys_log_is_purged_and_another_companys_is_kept(audit: AuditService) -> None:
    deleted, kept = uuid.uuid4(), uuid.uuid4()
    for company_id in (deleted, kept):
        for event_type in ("CompanyUpdated", "ProductCreated", "CustomerCreated"):
            await audit.publisher.publish(envelope(company_id, event_type=event_type))
    await audit.wait_for_entries(deleted, 3)
    await audit.wait_for_entries(kept, 3)
    kept_before = await company_rows(audit.database.url, kept)
    assert kept_before["audit_logs"] == 3

    await audit.publisher.publish(company_deleted(deleted, name="Gone Co", slug="gone-co", version=5))

    async def purged() -> bool:
        return set((await company_rows(audit.database.url, deleted)).values()) == {0}

    await wait_until(purged, what="the deleted company's audit log to be purged")
    assert await audit.entries(deleted) == []
    assert await company_rows(audit.database.url, kept) == kept_before
    assert len(await audit.entries(kept)) == 3
