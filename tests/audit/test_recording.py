"""How a batch of events becomes audit entries: one INSERT for the whole batch, whatever its size."""

import uuid
from typing import Any

from sqlalchemy import event, func, select

from kit.db import Database
from services.audit.audit_log import service
from services.audit.models import AuditLog
from tests.audit.conftest import envelope
from tests.contracts.envelopes import company_deleted


async def test_a_batch_of_events_is_recorded_in_one_insert(log: Database) -> None:
    companies = [uuid.uuid4() for _ in range(3)]
    events = [envelope(company_id, event_type=f"Thing{n}Happened") for company_id in companies for n in range(50)]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(log.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with log.sessionmaker() as session:
            recorded = await service.record(session, events)
            await session.commit()
    finally:
        event.remove(log.engine.sync_engine, "before_cursor_execute", seen)

    assert recorded == 150
    assert len([statement for statement in statements if "audit_logs" in statement]) == 1
    async with log.sessionmaker() as session:
        for company_id in companies:
            count = select(func.count()).select_from(AuditLog).where(AuditLog.company_id == company_id)
            assert await session.scalar(count) == 50


async def test_events_without_a_company_and_a_companys_deletion_are_not_recorded(log: Database) -> None:
    company_id = uuid.uuid4()
    kept = envelope(company_id)
    batch = [envelope(None), kept, company_deleted(company_id, name="Gone Co", slug="gone-co", version=3)]

    async with log.sessionmaker() as session:
        assert await service.record(session, batch) == 1
        await session.commit()
        # Its log is about to be purged; identity's tombstone is the record of the deletion.
        assert list(await session.scalars(select(AuditLog.event_id))) == [kept.id]


async def test_an_event_recorded_before_adds_nothing(log: Database) -> None:
    company_id = uuid.uuid4()
    first = envelope(company_id)

    for batch in ([first], [first, envelope(company_id)]):
        async with log.sessionmaker() as session:
            await service.record(session, batch)
            await session.commit()

    async with log.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(AuditLog)) == 2
