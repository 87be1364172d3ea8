"""The events orders publishes about documents (entity type `Document`): invoices and packing lists issued with
an order's steps, and the files of a customer's vault.

Metadata only, never the bytes: a consumer that needs the file downloads it. Entity versions order them: 1 when
issued or uploaded, +1 when an invoice is voided or a vault file deleted.
"""

import datetime as dt
import enum
import uuid
from typing import ClassVar

from kit.events import Event

DOCUMENT_ENTITY = "Document"


class DocumentKind(enum.StrEnum):
    """An order's invoice or packing list (issued by orders), or a file uploaded to a customer's vault."""

    INVOICE = "INVOICE"
    PACKING_LIST = "PACKING_LIST"
    FILE = "FILE"


class DocumentIssued(Event):
    """An invoice (the order confirmed) or a packing list (the order shipped)."""

    event_type: ClassVar[str] = "DocumentIssued"

    id: uuid.UUID
    kind: DocumentKind
    # "INV-000001" for an invoice; None for a packing list.
    number: str | None
    title: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    # None for an internal order's packing list.
    customer_id: uuid.UUID | None
    order_id: uuid.UUID
    order_number: str


class DocumentVoided(Event):
    """A cancelled order's invoice: marked void, with a VOID copy beside the original, which never changes."""

    event_type: ClassVar[str] = "DocumentVoided"

    id: uuid.UUID
    number: str
    order_id: uuid.UUID
    order_number: str
    customer_id: uuid.UUID | None
    reason: str | None
    voided_at: dt.datetime


class DocumentUploaded(Event):
    """A file staff put in a customer's vault."""

    event_type: ClassVar[str] = "DocumentUploaded"

    id: uuid.UUID
    title: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    customer_id: uuid.UUID
    expires_at: dt.date | None


class DocumentDeleted(Event):
    """A vault file deleted, bytes and all."""

    event_type: ClassVar[str] = "DocumentDeleted"

    id: uuid.UUID
    title: str
    file_name: str
    customer_id: uuid.UUID


EVENTS = (DocumentIssued, DocumentVoided, DocumentUploaded, DocumentDeleted)
