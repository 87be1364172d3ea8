"""A test-only service on the kit: one tenant table, an endpoint that writes and emits, one that fails after,
and reads with and without a transaction."""

import asyncio
import uuid
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from fastapi import APIRouter
from sqlalchemy import String, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.access import staff
from kit.context import Context
from kit.db import TYPE_ANNOTATION_MAP, IdMixin, ReadSession, Session, TenantMixin, new_metadata
from kit.errors import Conflict
from kit.events import EntityRef, Event
from kit.outbox import emit
from kit.schemas import CamelModel
from kit.service import ServiceSpec


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Note(IdMixin, TenantMixin, Base):
    __tablename__ = "notes"

    text: Mapped[str] = mapped_column(String(200))


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


async def _statement_times(session: AsyncSession) -> list[datetime]:
    """now() of two statements 50 ms apart: the same inside one transaction, apart without one."""
    first = await session.scalar(text("SELECT now()"))
    await asyncio.sleep(0.05)
    second = await session.scalar(text("SELECT now()"))
    return [first, second]


@router.get("/statement-times/read-session")
async def read_session_times(session: ReadSession, context: Context) -> list[datetime]:
    return await _statement_times(session)


@router.get("/statement-times/session")
async def session_times(session: Session, context: Context) -> list[datetime]:
    return await _statement_times(session)


SPEC = ServiceSpec(
    name="kitsample",
    title="Kit sample",
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    routers=[router],
)
