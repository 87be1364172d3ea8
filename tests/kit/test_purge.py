"""Company purge: a deleted company's rows leave every table of a service, in batches, resumably, and no
other company's rows go with them; a table left out of the plan stops the service from being built."""

import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection
from fastapi import FastAPI
from sqlalchemy import Column, ForeignKey, MetaData, String, Table, Uuid, func, select, text
from sqlalchemy.exc import DBAPIError

from kit.context import ContextSigner, Principal
from kit.db import Database, new_metadata
from kit.events import Actor, EntityRef, Event, EventEnvelope
from kit.outbox import attach_outbox
from kit.purge import CompanyPurger, PurgePlan, unlisted_tables
from kit.service import ServiceSpec, create_service_app
from kit.settings import PlatformSettings
from tests.conftest import RETRY_DELAYS, DatabaseFactory, context_headers, start_app
from tests.kit.sample_service import SPEC, KitCompanyDeleted, LabelChanged
from tests.support.broker import EventPublisher, delete_service_queues
from tests.support.events import wait_for_consumer, wait_until
from tests.support.purge import company_rows

SMALL_BATCHES = dataclasses.replace(SPEC, purge=dataclasses.replace(SPEC.purge, batch_size=3))


def _event(event: Event, company_id: uuid.UUID, entity: EntityRef) -> EventEnvelope:
    return EventEnvelope(
        type=event.event_type,
        version=event.event_version,
        company_id=company_id,
        actor=Actor(type="SYSTEM"),
        entity=entity,
        data=event.model_dump(mode="json", by_alias=True),
    )


def label_changed(company_id: uuid.UUID, label_id: uuid.UUID, name: str, version: int) -> EventEnvelope:
    entity = EntityRef(type="Label", id=str(label_id), version=version)
    return _event(LabelChanged(id=label_id, name=name), company_id, entity)


def company_deleted(company_id: uuid.UUID) -> EventEnvelope:
    return _event(KitCompanyDeleted(id=company_id), company_id, EntityRef(type="Company", id=str(company_id)))


@pytest.fixture
async def sample_url(new_database: DatabaseFactory) -> str:
    return await new_database("kitpurge")


@pytest.fixture
async def sample(
    sample_url: str, platform: PlatformSettings, broker: AbstractRobustConnection
) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_service_app(SMALL_BATCHES, sample_url, platform, run_relay=True, run_worker=True)
    async with AsyncExitStack() as stack:
        client = await start_app(stack, app)
        await wait_for_consumer(platform, "kitsample")
        yield client
    await delete_service_queues(broker, platform.namespace, "kitsample", len(RETRY_DELAYS))


async def _write_notes(client: httpx.AsyncClient, signer: ContextSigner, company_id: uuid.UUID, count: int) -> None:
    owner = Principal(type="user", id=uuid.uuid4(), role="OWNER")
    headers = context_headers(signer, "kitsample", company_id=company_id, principal=owner)
    for n in range(count):
        assert (await client.post("/notes", json={"text": f"note {n}"}, headers=headers)).status_code == 201


async def test_a_deleted_companys_rows_leave_every_table_and_another_companys_stay(
    sample: httpx.AsyncClient,
    sample_url: str,
    signer: ContextSigner,
    broker: AbstractRobustConnection,
    platform: PlatformSettings,
) -> None:
    doomed, kept = uuid.uuid4(), uuid.uuid4()
    publisher = EventPublisher(broker, platform.namespace)
    for company_id in (doomed, kept):
        await _write_notes(sample, signer, company_id, 7)
        for _ in range(4):
            await publisher.publish(label_changed(company_id, uuid.uuid4(), "label", 1))

    async def filled(company_id: uuid.UUID) -> dict[str, int] | None:
        counts = await company_rows(sample_url, company_id)
        return counts if counts["labels"] == 4 and counts["processed_events"] == 4 else None

    before = await wait_until(lambda: filled(doomed), what="the doomed company's labels to be applied")
    assert before["notes"] == 7
    assert before["outbox"] == 7
    kept_before = await wait_until(lambda: filled(kept), what="the kept company's labels to be applied")
    assert kept_before == before

    await publisher.publish(company_deleted(doomed))

    async def purged() -> bool:
        return set((await company_rows(sample_url, doomed)).values()) == {0}

    await wait_until(purged, what="the company's rows to be purged")
    assert await company_rows(sample_url, kept) == kept_before


async def test_an_event_about_a_deleted_company_arriving_after_its_purge_brings_nothing_back(
    new_database: DatabaseFactory,
) -> None:
    url = await new_database("kitlate")
    doomed, kept = uuid.uuid4(), uuid.uuid4()
    database = await _database_with_pending_purge(url, doomed, kept)
    try:
        assert await CompanyPurger(database, SPEC.metadata, SPEC.purge).purge_pending() == 1
        assert SPEC.consumer is not None
        # A retry or a replayed dead letter, after the purge finished.
        late = [label_changed(doomed, uuid.uuid4(), "late", 2), label_changed(kept, uuid.uuid4(), "fresh", 1)]
        applied = await SPEC.consumer.apply(database, SPEC.metadata, late)
        assert [envelope.company_id for envelope in applied] == [kept]
        assert set((await company_rows(url, doomed)).values()) == {0}
        assert await _labels(database, kept) == 8
    finally:
        await database.dispose()


async def _database_with_pending_purge(url: str, doomed: uuid.UUID, kept: uuid.UUID) -> Database:
    database = Database(url)
    await database.upgrade(SPEC.migrations)
    attach_outbox(database, SPEC.metadata, None)
    assert SPEC.consumer is not None
    labels = [label_changed(company, uuid.uuid4(), "label", 1) for company in (doomed, kept) for _ in range(7)]
    await SPEC.consumer.apply(database, SPEC.metadata, labels)
    await SPEC.consumer.apply(database, SPEC.metadata, [company_deleted(doomed)])
    return database


async def _labels(database: Database, company_id: uuid.UUID) -> int:
    labels = SPEC.metadata.tables["labels"]
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).where(labels.c.company_id == company_id)) or 0)


async def test_a_purge_cut_short_resumes_at_the_next_start_through_the_audit_style_guard(
    new_database: DatabaseFactory,
) -> None:
    url = await new_database("kitpurge")
    doomed, kept = uuid.uuid4(), uuid.uuid4()
    database = await _database_with_pending_purge(url, doomed, kept)
    purges = SPEC.metadata.tables["company_purges"]
    try:
        async with database.engine.begin() as connection:
            # What the audit log does: DELETE only of the company being purged, through the purge.
            await connection.execute(
                text(
                    """
                    CREATE FUNCTION labels_guard() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF OLD.company_id::text = current_setting('distribu.purging_company', true) THEN
                            RETURN OLD;
                        END IF;
                        RAISE EXCEPTION 'labels are kept';
                    END
                    $$
                    """
                )
            )
            await connection.execute(
                text("CREATE TRIGGER labels_guard BEFORE DELETE ON labels FOR EACH ROW EXECUTE FUNCTION labels_guard()")
            )
        with pytest.raises(DBAPIError, match="labels are kept"):
            async with database.engine.begin() as connection:
                await connection.execute(text("DELETE FROM labels"))

        # One batch, then the worker dies.
        first = CompanyPurger(database, SPEC.metadata, SMALL_BATCHES.purge)
        assert await first._delete_batch(doomed, first.tables[0], last_table=False) == 3
        assert await _labels(database, doomed) == 4
        async with database.sessionmaker() as session:
            assert await session.scalar(select(purges.c.company_id)) == doomed

        restarted = CompanyPurger(database, SPEC.metadata, SMALL_BATCHES.purge)
        assert await restarted.purge_pending() == 1

        assert set((await company_rows(url, doomed)).values()) == {0}
        assert await _labels(database, kept) == 7
        async with database.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(purges)) == 0
    finally:
        await database.dispose()


def test_a_table_with_company_rows_left_out_of_the_plan_stops_the_service() -> None:
    assert unlisted_tables(SPEC.metadata, SPEC.purge) == []
    metadata: MetaData = new_metadata()
    Table("orders", metadata, Column("id", Uuid(), primary_key=True), Column("company_id", Uuid()))
    Table(
        "order_lines",
        metadata,
        Column("id", Uuid(), primary_key=True),
        Column("order_id", ForeignKey("orders.id")),
        Column("company_id", Uuid()),
    )
    Table("plans", metadata, Column("code", String(20), primary_key=True))

    assert unlisted_tables(metadata, PurgePlan(tables=("orders",))) == ["order_lines"]
    with pytest.raises(ValueError, match="'order_lines' has a company_id column"):
        ServiceSpec(
            name="forgetful",
            title="Forgetful",
            metadata=metadata,
            migrations=SPEC.migrations,
            routers=[],
            purge=PurgePlan(tables=("orders",)),
        )
    with pytest.raises(ValueError, match="'plans'"):
        ServiceSpec(
            name="confused",
            title="Confused",
            metadata=metadata,
            migrations=SPEC.migrations,
            routers=[],
            purge=PurgePlan(tables=("order_lines", "orders", "plans")),
        )
