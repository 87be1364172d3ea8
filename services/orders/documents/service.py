"""Rules of documents beyond issuing them (see `issuing`): the vault's uploads and deletions, the lists, and the
downloads, for staff and integrators and for the customer's own storefront accounts.

An upload is one transaction: the file is read from the request as it streams in (`uploads`), stored chunk by
chunk under a row made once its type is known, then the row completed and `DocumentUploaded` written. Any
refusal rolls all of it back: no row, no chunk, no event. A download is authorized and looked up first, then its
bytes are streamed chunk by chunk from a session of its own.
"""

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.documents import DocumentDeleted, DocumentKind, DocumentUploaded
from kit.access import require_staff_or_key
from kit.context import RequestContext
from kit.db import Database, ReadOnlySession, new_id, utcnow
from kit.errors import Conflict, NotFound
from kit.outbox import emit
from kit.pagination import Page
from kit.repository import found
from kit.schemas import text_problem
from services.orders.directory.repository import CustomerReader
from services.orders.directory.service import actor_name, live_customer
from services.orders.documents.issuing import document_entity, invoice_number
from services.orders.documents.repository import (
    CHUNK_BYTES,
    ORIGINAL_COPY,
    VOID_COPY,
    DocumentFilters,
    DocumentReader,
    DocumentRepository,
    read_chunk,
)
from services.orders.documents.schemas import CreatedBy, DocumentRead, ExpiringDocuments
from services.orders.documents.uploads import (
    EXPIRES_FIELD,
    MAX_BODY_BYTES,
    TITLE_FIELD,
    ReceivedUpload,
    invalid,
    receive_upload,
    too_large,
)
from services.orders.models import Document
from services.orders.orders.buyers import storefront_account
from services.orders.orders.repository import OrderRepository
from services.orders.orders.service import order_number

MAX_TITLE = 200
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# How far back the expiring list looks: files expired this recently still need replacing.
EXPIRED_WITHIN_DAYS = 30
NOT_DELETABLE = "Invoices and packing lists are part of the order's record and cannot be deleted."

# -- shaping --------------------------------------------------------------------------------------------


def _read(
    document: Document, customer_names: dict[uuid.UUID, str | None], numbers: dict[uuid.UUID, int]
) -> DocumentRead:
    order_id = document.order_id
    return DocumentRead(
        id=document.id,
        kind=document.kind,
        number=invoice_number(document.number) if document.number is not None else None,
        title=document.title,
        file_name=document.file_name,
        content_type=document.content_type,
        size_bytes=document.size_bytes,
        sha256=document.sha256,
        customer_id=document.customer_id,
        customer_name=customer_names.get(document.customer_id) if document.customer_id else None,
        order_id=order_id,
        order_number=order_number(numbers[order_id]) if order_id is not None and order_id in numbers else None,
        expires_at=document.expires_at,
        voided_at=document.voided_at,
        void_reason=document.void_reason,
        created_at=document.created_at,
        created_by=CreatedBy(
            type=document.created_by_type,
            id=document.created_by_id,
            name=document.created_by_name,
        ),
    )


async def _reads(reader: DocumentReader, documents: Sequence[Document]) -> list[DocumentRead]:
    """The documents as the API shows them, their customers' names and orders' numbers read in one query each."""
    customer_ids = sorted({document.customer_id for document in documents if document.customer_id is not None})
    order_ids = sorted({document.order_id for document in documents if document.order_id is not None})
    names = await reader.customer_names(customer_ids)
    numbers = await reader.order_numbers(order_ids)
    return [_read(document, names, numbers) for document in documents]


async def _page(
    reader: DocumentReader, filters: DocumentFilters, *, limit: int, cursor: str | None
) -> Page[DocumentRead]:
    documents, next_cursor = await reader.page(filters, limit=limit, cursor=cursor)
    return Page[DocumentRead](items=await _reads(reader, documents), next_cursor=next_cursor)


# -- uploading ----------------------------------------------------------------------------------------


class _VaultSink:
    """Stores an upload's file as it arrives: the row once its name and type are known, then chunk by chunk."""

    def __init__(self, repository: DocumentRepository, customer_id: uuid.UUID, created_by: CreatedBy) -> None:
        self.repository = repository
        self.customer_id = customer_id
        self.created_by = created_by
        self.document_id = new_id()
        self.seq = 0

    async def begin(self, file_name: str, content_type: str) -> None:
        # Size, digest and title are known only at the end of the body: completed then (`complete_upload`).
        await self.repository.insert(
            {
                "id": self.document_id,
                "kind": DocumentKind.FILE,
                "number": None,
                "title": file_name[:MAX_TITLE],
                "file_name": file_name,
                "content_type": content_type,
                "size_bytes": 0,
                "sha256": "",
                "customer_id": self.customer_id,
                "order_id": None,
                "expires_at": None,
                "content": None,
                "version": 1,
                "created_at": utcnow(),
                "created_by_type": self.created_by.type,
                "created_by_id": self.created_by.id,
                "created_by_name": self.created_by.name,
            }
        )

    async def write(self, data: bytes) -> None:
        await self.repository.add_chunk(self.document_id, ORIGINAL_COPY, self.seq, data)
        self.seq += 1


def _title(received: ReceivedUpload) -> str:
    title = received.fields.get(TITLE_FIELD, "").strip()
    if (problem := text_problem(title)) is not None:
        raise invalid(TITLE_FIELD, problem)
    if TITLE_FIELD in received.overlong or len(title) > MAX_TITLE:
        raise invalid(TITLE_FIELD, f"Use at most {MAX_TITLE} characters.")
    return title or received.file_name[:MAX_TITLE]


def _expires_at(received: ReceivedUpload) -> dt.date | None:
    given = received.fields.get(EXPIRES_FIELD, "").strip()
    if not given:
        return None
    if EXPIRES_FIELD not in received.overlong and _DAY.fullmatch(given):
        try:
            return dt.date.fromisoformat(given)
        except ValueError:
            pass
    raise invalid(EXPIRES_FIELD, "Enter a date like 2025-01-31.")


async def _created_by(session: ReadOnlySession, company_id: uuid.UUID, context: RequestContext) -> CreatedBy:
    principal = context.principal
    return CreatedBy(
        type="USER" if principal.type == "user" else "SYSTEM",
        id=principal.id,
        name=await actor_name(session, company_id, principal),
    )


def check_declared_length(content_length: str | None) -> None:
    """413 before reading anything when the body says it is larger than an upload may be."""
    if content_length is not None and content_length.strip().isdigit() and int(content_length) > MAX_BODY_BYTES:
        raise too_large()


async def upload(
    session: AsyncSession,
    context: RequestContext,
    customer_id: uuid.UUID,
    body: AsyncIterator[bytes],
    *,
    content_type: str | None,
    content_length: str | None,
) -> DocumentRead:
    """A file for the customer's vault, read from the multipart body as it streams in."""
    company_id = require_staff_or_key(context, "documents:write")
    check_declared_length(content_length)
    customer = await live_customer(session, company_id, customer_id)
    if customer is None:
        raise NotFound("Customer not found.")
    repository = DocumentRepository(session, company_id)
    sink = _VaultSink(repository, customer_id, await _created_by(session, company_id, context))
    received = await receive_upload(body, content_type, sink, chunk_bytes=CHUNK_BYTES)
    title, expires_at = _title(received), _expires_at(received)
    document = found(await repository.get(sink.document_id), "Document")
    document.title = title
    document.expires_at = expires_at
    document.size_bytes = received.size_bytes
    document.sha256 = received.sha256
    await session.flush()
    event = DocumentUploaded(
        id=document.id,
        title=title,
        file_name=document.file_name,
        content_type=document.content_type,
        size_bytes=document.size_bytes,
        sha256=document.sha256,
        customer_id=customer_id,
        expires_at=expires_at,
    )
    await emit(session, event, company_id=company_id, entity=document_entity(document.id, 1), context=context)
    return _read(document, {customer_id: customer.name}, {})


async def delete(session: AsyncSession, context: RequestContext, document_id: uuid.UUID) -> None:
    """A vault file, bytes and all; an invoice or packing list is 409."""
    company_id = require_staff_or_key(context, "documents:write")
    repository = DocumentRepository(session, company_id)
    document = found(await repository.lock(document_id), "Document")
    if document.kind is not DocumentKind.FILE or document.customer_id is None:
        raise Conflict(NOT_DELETABLE)
    event = DocumentDeleted(
        id=document.id, title=document.title, file_name=document.file_name, customer_id=document.customer_id
    )
    version = document.version + 1
    await repository.remove(document)
    await emit(session, event, company_id=company_id, entity=document_entity(document_id, version), context=context)


# -- reading (staff and integrators) ------------------------------------------------------------------


async def staff_document(session: ReadOnlySession, context: RequestContext, document_id: uuid.UUID) -> DocumentRead:
    company_id = require_staff_or_key(context, "documents:read")
    reader = DocumentReader(session, company_id)
    document = await reader.get_or_404(document_id, "Document")
    return (await _reads(reader, [document]))[0]


async def customer_documents(
    session: ReadOnlySession,
    context: RequestContext,
    customer_id: uuid.UUID,
    kind: DocumentKind | None,
    *,
    limit: int,
    cursor: str | None,
) -> Page[DocumentRead]:
    """The customer's vault files and its orders' invoices and packing lists, newest first."""
    company_id = require_staff_or_key(context, "documents:read")
    found(await CustomerReader(session, company_id).get(customer_id), "Customer")
    filters = DocumentFilters(kind=kind, customer_id=customer_id)
    return await _page(DocumentReader(session, company_id), filters, limit=limit, cursor=cursor)


async def order_documents(
    session: AsyncSession, context: RequestContext, order_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[DocumentRead]:
    company_id = require_staff_or_key(context, "documents:read")
    await OrderRepository(session, company_id).get_or_404(order_id, "Order")
    filters = DocumentFilters(order_id=order_id)
    return await _page(DocumentReader(session, company_id), filters, limit=limit, cursor=cursor)


async def expiring_documents(session: ReadOnlySession, context: RequestContext, days: int) -> ExpiringDocuments:
    """Vault files that expired in the last 30 days or expire in the next `days`, soonest first."""
    company_id = require_staff_or_key(context, "documents:read")
    today = utcnow().date()
    reader = DocumentReader(session, company_id)
    documents = await reader.expiring(today - dt.timedelta(days=EXPIRED_WITHIN_DAYS), today + dt.timedelta(days=days))
    return ExpiringDocuments(items=await _reads(reader, documents))


# -- the storefront ------------------------------------------------------------------------------------


async def account_documents(
    session: ReadOnlySession,
    context: RequestContext,
    order_id: uuid.UUID | None,
    kind: DocumentKind | None,
    *,
    limit: int,
    cursor: str | None,
) -> Page[DocumentRead]:
    """The signed-in account's customer's documents, whichever of its accounts is asking (VIEWER included)."""
    account = storefront_account(context, buying=False)
    filters = DocumentFilters(kind=kind, customer_id=account.customer_id, order_id=order_id)
    return await _page(DocumentReader(session, account.company_id), filters, limit=limit, cursor=cursor)


# -- downloading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """One copy of a document's bytes, authorized and found, ready to stream."""

    company_id: uuid.UUID
    document_id: uuid.UUID
    copy: int
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str

    def headers(self) -> dict[str, str]:
        return {
            "Content-Length": str(self.size_bytes),
            "Content-Disposition": content_disposition(self.file_name),
            "ETag": f'"{self.sha256}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        }


def content_disposition(file_name: str) -> str:
    """An attachment named `file_name`: an ASCII stand-in for old clients, the exact name in `filename*`."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in file_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _void_copy_name(file_name: str) -> str:
    stem, dot, extension = file_name.rpartition(".")
    return f"{stem}-VOID.{extension}" if dot else f"{file_name}-VOID"


def _download_of(document: Document, *, original: bool) -> Download:
    """A voided invoice's VOID copy, unless the original is asked for."""
    if document.voided_at is not None and not original and document.void_copy_sha256 is not None:
        return Download(
            company_id=document.company_id,
            document_id=document.id,
            copy=VOID_COPY,
            file_name=_void_copy_name(document.file_name),
            content_type=document.content_type,
            size_bytes=document.void_copy_size_bytes or 0,
            sha256=document.void_copy_sha256,
        )
    return Download(
        company_id=document.company_id,
        document_id=document.id,
        copy=ORIGINAL_COPY,
        file_name=document.file_name,
        content_type=document.content_type,
        size_bytes=document.size_bytes,
        sha256=document.sha256,
    )


async def staff_download(
    session: ReadOnlySession, context: RequestContext, document_id: uuid.UUID, *, original: bool
) -> Download:
    company_id = require_staff_or_key(context, "documents:read")
    document = await DocumentReader(session, company_id).get_or_404(document_id, "Document")
    return _download_of(document, original=original)


async def account_download(
    session: ReadOnlySession, context: RequestContext, document_id: uuid.UUID, *, original: bool
) -> Download:
    """One of the signed-in account's customer's documents; anyone else's is not found."""
    account = storefront_account(context, buying=False)
    document = await DocumentReader(session, account.company_id).get(document_id)
    if document is None or document.customer_id != account.customer_id:
        raise NotFound("Document not found.")
    return _download_of(document, original=original)


async def stream_download(database: Database, download: Download) -> AsyncIterator[bytes]:
    """The copy's bytes, one chunk in memory at a time, read in a session of the stream's own."""
    async with database.sessionmaker() as session:
        seq = 0
        while (
            data := await read_chunk(session, download.company_id, download.document_id, download.copy, seq)
        ) is not None:
            yield data
            seq += 1
