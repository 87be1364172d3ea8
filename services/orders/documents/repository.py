"""Queries on documents, their bytes and the invoice counter; every one scoped by company."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.documents import DocumentKind
from kit.db import ReadOnlySession, insert_for
from kit.pagination import keyset_page
from kit.repository import COMPANY, TenantReader, TenantRepository, scoped_delete, scoped_select
from services.orders.models import Customer, Document, DocumentChunk, DocumentCounter, Order

DOCUMENTS = cast(Table, Document.__table__)
CHUNKS = cast(Table, DocumentChunk.__table__)
COUNTERS = cast(Table, DocumentCounter.__table__)
ORDERS = cast(Table, Order.__table__)
CUSTOMERS = cast(Table, Customer.__table__)

# The size of each stored slice of a document's bytes: what is held in memory at a time, in and out.
CHUNK_BYTES = 256 * 1024
# The original as issued or uploaded, and a voided invoice's VOID copy.
ORIGINAL_COPY = 0
VOID_COPY = 1
# The most a list of expiring files shows.
EXPIRING_LIMIT = 100

_CHUNK = scoped_select(CHUNKS, CHUNKS.c.data).where(
    CHUNKS.c.document_id == bindparam("document_id"),
    CHUNKS.c.copy == bindparam("copy"),
    CHUNKS.c.seq == bindparam("seq"),
)
_DELETE_CHUNKS = scoped_delete(CHUNKS).where(CHUNKS.c.document_id == bindparam("document_id"))
_ORDER_NUMBERS = scoped_select(ORDERS, ORDERS.c.id, ORDERS.c.number).where(
    ORDERS.c.id.in_(bindparam("ids", expanding=True))
)
_CUSTOMER_NAMES = scoped_select(CUSTOMERS, CUSTOMERS.c.id, CUSTOMERS.c.name).where(
    CUSTOMERS.c.id.in_(bindparam("ids", expanding=True))
)


async def take_invoice_number(session: AsyncSession, company_id: uuid.UUID) -> int:
    """The company's next invoice number, in one upsert whose row lock is held until commit: the company's
    confirmations take numbers one at a time, and a rollback gives the number back."""
    first = insert_for(session, COUNTERS).values(company_id=company_id, last_invoice_number=1)
    statement = first.on_conflict_do_update(
        index_elements=["company_id"], set_={"last_invoice_number": COUNTERS.c.last_invoice_number + 1}
    ).returning(COUNTERS.c.last_invoice_number)
    return int((await session.execute(statement)).scalar_one())


@dataclass(frozen=True)
class DocumentFilters:
    kind: DocumentKind | None = None
    customer_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None


class DocumentReader(TenantReader[Document]):
    model = Document

    async def page(
        self, filters: DocumentFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Document], str | None]:
        """Newest first."""
        statement = self.statement()
        if filters.kind is not None:
            statement = statement.where(Document.kind == filters.kind)
        if filters.customer_id is not None:
            statement = statement.where(Document.customer_id == filters.customer_id)
        if filters.order_id is not None:
            statement = statement.where(Document.order_id == filters.order_id)
        return await keyset_page(
            cast(AsyncSession, self.session),
            statement,
            sort_column=Document.created_at,
            id_column=Document.id,
            limit=limit,
            cursor=cursor,
        )

    async def of_order(self, order_id: uuid.UUID) -> list[Document]:
        """The order's invoice and packing list, oldest first."""
        statement = self.statement().where(Document.order_id == order_id).order_by(Document.created_at, Document.id)
        return list((await self.session.scalars(statement)).all())

    async def expiring(self, start: dt.date, end: dt.date) -> list[Document]:
        """Vault files whose expiry falls between `start` and `end` (both included), soonest first."""
        statement = (
            self.statement()
            .where(
                Document.kind == DocumentKind.FILE,
                Document.expires_at >= start,
                Document.expires_at <= end,
            )
            .order_by(Document.expires_at, Document.created_at, Document.id)
            .limit(EXPIRING_LIMIT)
        )
        return list((await self.session.scalars(statement)).all())

    async def order_numbers(self, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not order_ids:
            return {}
        rows = await self.session.execute(_ORDER_NUMBERS, {COMPANY: self.company_id, "ids": list(order_ids)})
        return {row.id: int(row.number) for row in rows}

    async def customer_names(self, customer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str | None]:
        if not customer_ids:
            return {}
        rows = await self.session.execute(_CUSTOMER_NAMES, {COMPANY: self.company_id, "ids": list(customer_ids)})
        return {row.id: row.name for row in rows}


class DocumentRepository(TenantRepository[Document], DocumentReader):
    model = Document

    async def lock(self, document_id: uuid.UUID) -> Document | None:
        document: Document | None = await self.session.scalar(
            self.statement().where(Document.id == document_id).with_for_update()
        )
        return document

    async def lock_of_order(self, order_id: uuid.UUID, kind: DocumentKind) -> Document | None:
        document: Document | None = await self.session.scalar(
            self.statement().where(Document.order_id == order_id, Document.kind == kind).with_for_update()
        )
        return document

    async def insert(self, row: dict[str, Any]) -> None:
        await self.session.execute(insert(DOCUMENTS).values({**row, "company_id": self.company_id}))

    async def add_chunk(self, document_id: uuid.UUID, copy: int, seq: int, data: bytes) -> None:
        values = {"company_id": self.company_id, "document_id": document_id, "copy": copy, "seq": seq, "data": data}
        await self.session.execute(insert(CHUNKS).values(values))

    async def add_bytes(self, document_id: uuid.UUID, copy: int, content: bytes) -> None:
        """Bytes already in memory (a rendered PDF), stored in chunks like an upload's."""
        for seq, start in enumerate(range(0, len(content), CHUNK_BYTES)):
            await self.add_chunk(document_id, copy, seq, content[start : start + CHUNK_BYTES])

    async def remove(self, document: Document) -> None:
        """The document and its bytes."""
        await self.session.execute(_DELETE_CHUNKS, {COMPANY: self.company_id, "document_id": document.id})
        await self.session.delete(document)
        await self.session.flush()


async def read_chunk(
    session: ReadOnlySession, company_id: uuid.UUID, document_id: uuid.UUID, copy: int, seq: int
) -> bytes | None:
    """One slice of a document's bytes, or None past its last."""
    values = {COMPANY: company_id, "document_id": document_id, "copy": copy, "seq": seq}
    data: bytes | None = await session.scalar(_CHUNK, values)
    return data
