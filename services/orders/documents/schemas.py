"""Response bodies of the document endpoints, staff and storefront."""

import datetime as dt
import uuid

from contracts.documents import DocumentKind
from contracts.orders import ActorType
from kit.schemas import CamelModel


class CreatedBy(CamelModel):
    """Who issued or uploaded it: a staff user, a customer's account or contact (CUSTOMER), or an API key (SYSTEM)."""

    type: ActorType
    id: uuid.UUID | None
    name: str | None


class DocumentRead(CamelModel):
    """A document's record; its bytes are at `/api/v1/documents/{id}/download` (storefront:
    `/store/{slug}/api/documents/{id}/download`)."""

    id: uuid.UUID
    kind: DocumentKind
    # "INV-000001" for an invoice; None otherwise.
    number: str | None
    title: str
    file_name: str
    # The type found in the file's content.
    content_type: str
    # Of the original as issued or uploaded (a voided invoice's VOID copy is another file).
    size_bytes: int
    sha256: str
    customer_id: uuid.UUID | None
    customer_name: str | None
    order_id: uuid.UUID | None
    order_number: str | None
    expires_at: dt.date | None
    voided_at: dt.datetime | None
    void_reason: str | None
    created_at: dt.datetime
    created_by: CreatedBy


class ExpiringDocuments(CamelModel):
    """Vault files expired lately or expiring soon, soonest first."""

    items: list[DocumentRead]
