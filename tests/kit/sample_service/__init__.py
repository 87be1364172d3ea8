"""A test-only service on the kit: tenant tables, an endpoint that writes and emits, one that fails after,
reads with and without a transaction, and a consumer that keeps a versioned read model and purges
deleted companies."""

import asyncio
import uuid
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from fastapi import APIRouter
from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.access import staff
from kit.consumer import EventConsumer, newest_per_entity
from kit.context import Context
from kit.db import (
    TYPE_ANNOTATION_MAP,
    IdMixin,
    ReadOnlySession,
    ReadSession,
    Session,
    TenantMixin,
    new_metadata,
    upsert_newer,
)
from kit.errors import Conflict
from kit.events import EntityRef, Event, EventEnvelope
from kit.outbox import emit
from kit.purge import PurgePlan, schedule_purge
from kit.schemas import CamelModel
from kit.service import ServiceSpec


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Note(IdMixin, TenantMixin, Base):
    __tablename__ = "notes"

    text: Mapped[str] = mapped_column(String(200))


class Label(TenantMixin, Base):
    """A read model of another service's labels, kept at the newest version seen."""

    __tablename__ = "labels"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]


class LabelChanged(Event):
    event_type: ClassVar[str] = "KitLabelChanged"

    id: uuid.UUID
    name: str


class KitCompanyDeleted(Event):
    event_type: ClassVar[str] = "KitCompanyDeleted"

    id: uuid.UUID


class NoteWritten(Event):
    event_type: ClassVar[str] = "KitNoteWritten"

    id: uuid.UUID
    text: str


class NoteIn(CamelModel):
    text: str
    # Refuse after the note and its event were written: neither may survive.
    fail_after_write: bool = False


class NoteOut(CamelModel):
    id: uuid.UUID
    text: str


router = APIRouter(prefix="/notes", dependencies=[staff()])


@router.post("", status_code=201)
async def write_note(body: NoteIn, session: Session, context: Context) -> NoteOut:
    company_id = context.require_company()
    note = Note(company_id=company_id, text=body.text)
    session.add(note)
    await session.flush()
    await emit(
        session,
        NoteWritten(id=note.id, text=note.text),
        company_id=company_id,
        entity=EntityRef(type="Note", id=str(note.id)),
        context=context,
    )
    if body.fail_after_write:
        raise Conflict("Refused after writing.")
    return NoteOut(id=note.id, text=note.text)


@router.get("")
async def list_notes(session: ReadSession, context: Context) -> list[NoteOut]:
    company_id = context.require_company()
    notes = await session.scalars(select(Note).where(Note.company_id == company_id).order_by(Note.id))
    return [NoteOut(id=note.id, text=note.text) for note in notes]


async def _statement_times(session: ReadOnlySession) -> list[datetime]:
    """now() of two statements 50 ms apart: the same inside one transaction, apart without one."""
    first = await session.scalar(select(func.now()))
    await asyncio.sleep(0.05)
    second = await session.scalar(select(func.now()))
    return [first, second]


@router.get("/statement-times/read-session")
async def read_session_times(session: ReadSession, context: Context) -> list[datetime]:
    return await _statement_times(session)


@router.get("/statement-times/session")
async def session_times(session: Session, context: Context) -> list[datetime]:
    return await _statement_times(session)


consumer = EventConsumer("kitsample")


@consumer.on(LabelChanged)
async def on_label_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    rows = []
    for envelope in newest_per_entity(events):
        label = LabelChanged.model_validate(envelope.data)
        rows.append(
            {"id": label.id, "company_id": envelope.company_id, "name": label.name, "version": envelope.entity.version}
        )
    await upsert_newer(session, Label, rows, key=["id"], version="version")


consumer.on(KitCompanyDeleted)(schedule_purge)


SPEC = ServiceSpec(
    name="kitsample",
    title="Kit sample",
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    routers=[router],
    consumer=consumer,
    purge=PurgePlan(tables=("labels", "notes")),
)
