"""Document routes: staff and integrators (`/api/v1/customers/{id}/documents`, `/api/v1/documents`,
`/api/v1/orders/{id}/documents`), and the storefront's accounts (`/storefront/documents`)."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from contracts.documents import DocumentKind
from kit.access import STOREFRONT, staff
from kit.context import Context
from kit.db import Database, ReadSession, Session
from kit.errors import (
    Conflict,
    ContentTooLarge,
    Forbidden,
    NotFound,
    Unauthorized,
    UnsupportedMediaType,
    problem_responses,
)
from kit.pagination import Cursor, Limit, Page
from services.orders.documents import service
from services.orders.documents.schemas import DocumentRead, ExpiringDocuments
from services.orders.documents.service import Download
from services.orders.documents.uploads import InvalidUpload

JSON = "application/json"

router = APIRouter(tags=["documents"], dependencies=[staff(scope="documents")])
storefront_router = APIRouter(prefix="/storefront/documents", tags=["storefront documents"], dependencies=[STOREFRONT])

KindFilter = Annotated[DocumentKind | None, Query(alias="kind")]
CopyChoice = Annotated[
    Literal["original"] | None,
    Query(alias="copy", description="`original`: a voided invoice as issued, instead of its VOID copy."),
]
_DOWNLOAD_RESPONSES = {
    200: {"content": {"application/octet-stream": {}}, "description": "The file, streamed."},
    **problem_responses(Unauthorized, Forbidden, NotFound),
}


def _streamed(request: Request, download: Download) -> StreamingResponse:
    database: Database = request.app.state.database
    return StreamingResponse(
        service.stream_download(database, download), media_type=download.content_type, headers=download.headers()
    )


@router.post(
    "/api/v1/customers/{customer_id:uuid}/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentRead,
    responses=problem_responses(
        Unauthorized, Forbidden, NotFound, ContentTooLarge, UnsupportedMediaType, InvalidUpload
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "title": {"type": "string", "maxLength": 200},
                            "expiresAt": {"type": "string", "format": "date"},
                        },
                    }
                }
            },
        }
    },
)
async def upload_document(session: Session, context: Context, request: Request, customer_id: uuid.UUID) -> Response:
    """Put a file in the customer's vault: multipart fields `file` (PDF, PNG, JPEG, CSV, XLSX or DOCX, at most
    10 MB, its type read from its content), `title` (default the file's name) and `expiresAt` (YYYY-MM-DD).
    413 when it is larger, 415 for another type, 422 without a file; nothing is stored then."""
    document = await service.upload(
        session,
        context,
        customer_id,
        request.stream(),
        content_type=request.headers.get("content-type"),
        content_length=request.headers.get("content-length"),
    )
    return Response(
        document.model_dump_json(by_alias=True),
        status_code=status.HTTP_201_CREATED,
        media_type=JSON,
        headers={"Location": f"/api/v1/documents/{document.id}"},
    )


@router.get(
    "/api/v1/customers/{customer_id:uuid}/documents", responses=problem_responses(Unauthorized, Forbidden, NotFound)
)
async def list_customer_documents(
    session: ReadSession,
    context: Context,
    customer_id: uuid.UUID,
    kind: KindFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DocumentRead]:
    """The customer's vault files and its orders' invoices and packing lists, newest first."""
    return await service.customer_documents(session, context, customer_id, kind, limit=limit, cursor=cursor)


@router.get("/api/v1/documents/expiring", responses=problem_responses(Unauthorized, Forbidden))
async def list_expiring_documents(
    session: ReadSession,
    context: Context,
    days: Annotated[int, Query(ge=1, le=365, description="How many days ahead (default 30).")] = 30,
) -> ExpiringDocuments:
    """Vault files that expired in the last 30 days or expire in the next `days`, soonest first (at most 100)."""
    return await service.expiring_documents(session, context, days)


@router.get("/api/v1/documents/{document_id:uuid}", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def get_document(session: ReadSession, context: Context, document_id: uuid.UUID) -> DocumentRead:
    return await service.staff_document(session, context, document_id)


@router.get(
    "/api/v1/documents/{document_id:uuid}/download", response_class=StreamingResponse, responses=_DOWNLOAD_RESPONSES
)
async def download_document(
    session: ReadSession, context: Context, request: Request, document_id: uuid.UUID, copy: CopyChoice = None
) -> StreamingResponse:
    """The document's bytes; a voided invoice's VOID copy unless `copy=original`."""
    download = await service.staff_download(session, context, document_id, original=copy == "original")
    return _streamed(request, download)


@router.delete(
    "/api/v1/documents/{document_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def delete_document(session: Session, context: Context, document_id: uuid.UUID) -> None:
    """Delete a vault file; invoices and packing lists are 409."""
    await service.delete(session, context, document_id)


@router.get("/api/v1/orders/{order_id:uuid}/documents", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def list_order_documents(
    session: Session, context: Context, order_id: uuid.UUID, limit: Limit = 50, cursor: Cursor = None
) -> Page[DocumentRead]:
    """The order's invoice and packing list, newest first."""
    return await service.order_documents(session, context, order_id, limit=limit, cursor=cursor)


# -- storefront ---------------------------------------------------------------------------------------


@storefront_router.get("", responses=problem_responses(Unauthorized, Forbidden))
async def list_account_documents(
    session: ReadSession,
    context: Context,
    order_id: Annotated[uuid.UUID | None, Query(alias="orderId")] = None,
    kind: KindFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DocumentRead]:
    """The signed-in account's customer's vault files and its orders' invoices and packing lists, newest first."""
    return await service.account_documents(session, context, order_id, kind, limit=limit, cursor=cursor)


@storefront_router.get("/{document_id:uuid}/download", response_class=StreamingResponse, responses=_DOWNLOAD_RESPONSES)
async def download_account_document(
    session: ReadSession, context: Context, request: Request, document_id: uuid.UUID, copy: CopyChoice = None
) -> StreamingResponse:
    """One of the customer's documents; a voided invoice's VOID copy unless `copy=original`."""
    download = await service.account_download(session, context, document_id, original=copy == "original")
    return _streamed(request, download)
