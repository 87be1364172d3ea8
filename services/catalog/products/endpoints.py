"""Product routes for staff and integrators: the catalog, archive and restore, CSV import and export."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from kit.access import staff
from kit.context import Context
from kit.db import Database, Session
from kit.errors import (
    Conflict,
    ContentTooLarge,
    Forbidden,
    InvalidInput,
    NotFound,
    PlanLimitReached,
    Unauthorized,
    problem_responses,
)
from kit.pagination import Cursor, Limit, Page
from services.catalog.models import ProductStatus
from services.catalog.products import imports, service
from services.catalog.products.csv_format import COLUMNS
from services.catalog.products.imports import ImportRejected
from services.catalog.products.repository import ProductFilters
from services.catalog.products.schemas import ImportResult, ProductCreate, ProductRead, ProductUpdate

router = APIRouter(prefix="/api/v1/products", tags=["products"], dependencies=[staff(scope="catalog")])

SearchText = Annotated[str | None, Query(max_length=200, description="Part of the SKU or name, in any letter case.")]
CategoryFilter = Annotated[str | None, Query(max_length=100, description="Only products of this category.")]
MAX_IMPORT_BYTES = 20 * 1024 * 1024
CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel")
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"A CSV file with a header line naming its columns, among: {', '.join(COLUMNS)}.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.get("", responses=problem_responses(InvalidInput, Unauthorized, Forbidden, NotFound))
async def list_products(
    session: Session,
    context: Context,
    q: SearchText = None,
    status: ProductStatus | None = None,
    category: CategoryFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ProductRead]:
    """The company's products, newest first (staff, or API keys with catalog:read)."""
    filters = ProductFilters(query=q.strip() if q else None, status=status, category=category)
    return await service.product_page(session, context, filters, limit=limit, cursor=cursor)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(InvalidInput, Unauthorized, PlanLimitReached, Forbidden, NotFound, Conflict),
)
async def create_product(session: Session, context: Context, body: ProductCreate) -> ProductRead:
    """Add a product; an ACTIVE one counts toward the plan's maxProducts."""
    return await service.create_product(session, body, context=context)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(Unauthorized, Forbidden, NotFound)},
)
async def export_products(session: Session, context: Context, request: Request) -> StreamingResponse:
    """Every product as CSV (the import's columns), streamed; importing it back changes nothing."""
    company_id = await service.authorize_export(session, context)
    database: Database = request.app.state.database
    return StreamingResponse(
        service.export_csv(database, company_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="products.csv"'},
    )


@router.post(
    "/import",
    openapi_extra=IMPORT_BODY,
    responses=problem_responses(
        InvalidInput, Unauthorized, PlanLimitReached, Forbidden, NotFound, ContentTooLarge, ImportRejected
    ),
)
async def import_products(session: Session, context: Context, request: Request) -> ImportResult:
    """Create and update products by SKU from a CSV file (body `text/csv`, or multipart field `file`).

    Every row is checked first: if any is wrong, nothing is imported and the answer (422) lists each
    problem by line (the header is line 1) and field.
    """
    return await imports.import_products(session, await _csv_text(request), context=context)


@router.get("/{product_id:uuid}", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def get_product(session: Session, context: Context, product_id: uuid.UUID) -> ProductRead:
    return await service.staff_product(session, context, product_id)


@router.patch(
    "/{product_id:uuid}",
    responses=problem_responses(InvalidInput, Unauthorized, PlanLimitReached, Forbidden, NotFound, Conflict),
)
async def update_product(session: Session, context: Context, product_id: uuid.UUID, body: ProductUpdate) -> ProductRead:
    """Change a product; fields left out stay as they are. A status change archives or restores it."""
    return await service.update_product(session, product_id, body, context=context)


@router.delete(
    "/{product_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def delete_product(session: Session, context: Context, product_id: uuid.UUID) -> None:
    """Delete a product and the customers' own prices for it."""
    await service.delete_product(session, product_id, context=context)


@router.post("/{product_id:uuid}/archive", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def archive_product(session: Session, context: Context, product_id: uuid.UUID) -> ProductRead:
    """Take a product off the storefront, keeping it; this frees a maxProducts slot."""
    return await service.set_status(session, product_id, ProductStatus.ARCHIVED, context=context)


@router.post(
    "/{product_id:uuid}/restore", responses=problem_responses(Unauthorized, PlanLimitReached, Forbidden, NotFound)
)
async def restore_product(session: Session, context: Context, product_id: uuid.UUID) -> ProductRead:
    """Put an archived product back on sale; refused when the plan's maxProducts is reached."""
    return await service.set_status(session, product_id, ProductStatus.ACTIVE, context=context)


async def _csv_text(request: Request) -> str:
    """The uploaded file's text, from a text/csv body or a multipart `file` field."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput(
                "Send the CSV file in the multipart field named file.",
                errors=[{"field": "file", "message": "Field required"}],
            )
        data = await upload.read(MAX_IMPORT_BYTES + 1)
    elif content_type in CSV_TYPES:
        data = await _body_up_to(request, MAX_IMPORT_BYTES + 1)
    else:
        raise InvalidInput("Send the CSV file as a text/csv body, or as multipart/form-data with a field named file.")
    if len(data) > MAX_IMPORT_BYTES:
        raise ContentTooLarge(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it into smaller ones."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            "The file is not UTF-8 text; save the CSV as UTF-8 and import it again.",
            errors=[{"field": "file", "message": "not UTF-8"}],
        ) from error


async def _body_up_to(request: Request, limit: int) -> bytes:
    """The body, read no further than `limit` bytes: a huge upload is refused without holding all of it."""
    chunks: list[bytes] = []
    size = 0
    stream: AsyncIterator[bytes] = request.stream()
    async for chunk in stream:
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)
