"""The Documents panel of a customer's dashboard page (upload a file to the customer's vault, delete one), and
the download of any document, a vault file, an invoice or a packing list, wherever the dashboard lists it."""

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from gateway.web.client import ApiResult, PageClient, id_or_404
from gateway.web.dashboard.customers import DOCUMENTS_NOT_YET, customer_path, page_of, refused_page
from gateway.web.dashboard.frame import staff_client
from gateway.web.forms import FormState, go, redirect_with, submit, verified_form
from gateway.web.rendering import flash_messages

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "document-uploaded": ("success", "Document uploaded. The customer's contacts see it on the storefront."),
        "document-deleted": ("success", "Document deleted."),
    }
)

DOCUMENTS_API = "/api/v1/documents"
# API field → the upload form's field.
DOCUMENT_FIELDS = {"file": "document_file", "title": "document_title", "expiresAt": "document_expires"}


def download_path(document_id: str) -> str:
    return f"{DOCUMENTS_API}/{document_id}/download"


@router.post("/dashboard/customers/{customer_id}/documents")
async def upload_document(request: Request, customer_id: str) -> Response:
    """The upload form, forwarded to orders as it came: the file goes on from the form parser's spool (on disk
    past 1 MiB) a chunk at a time. A refusal (too large, a type not taken, a bad field) shows the customer's page
    again with it, the title and expiry as typed; the file must be chosen again (browsers allow nothing else)."""
    form = await verified_form(request)
    client = await staff_client(request)
    customer_id = id_or_404(customer_id, "customer")
    values = {name: form.get(name, "").strip() for name in ("document_title", "document_expires")}
    fields = {"title": values["document_title"], "expiresAt": values["document_expires"]}
    # The form is parsed once and kept by the request: this is the same form verified_form checked.
    upload = (await request.form()).get("document_file")
    chosen = upload if isinstance(upload, UploadFile) and (upload.filename or upload.size) else None
    result = await client.upload_form(
        f"{customer_path(customer_id)}/documents",
        {name: value for name, value in fields.items() if value},
        chosen,
    )
    if result.ok:
        return redirect_with(page_of(customer_id, "documents"), "document-uploaded")
    errors = result.field_errors(DOCUMENT_FIELDS)
    if result.status in (413, 415) and "document_file" not in errors:
        # Too large or not a type taken: the banner says which (the service's words), the file field is marked.
        errors["document_file"] = "Choose another file."
    state = FormState(values, errors, open=True)
    return await _refused(request, client, customer_id, result, errors, state, uploading=True)


@router.post("/dashboard/customers/{customer_id}/documents/{document_id}/delete")
async def delete_document(request: Request, customer_id: str, document_id: str) -> Response:
    """A vault file deleted; an invoice or a packing list is refused (409) by orders, said in the panel."""
    await verified_form(request)
    client = await staff_client(request)
    customer_id = id_or_404(customer_id, "customer")
    # A document is addressed by its own id, not under its customer: the route is the customer page's.
    path = f"{DOCUMENTS_API}/{id_or_404(document_id, 'document')}"

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await _refused(request, client, customer_id, result, errors, FormState(), uploading=False)

    return await submit(
        client, "DELETE", path, success=go(page_of(customer_id, "documents"), "document-deleted"), refused=refused
    )


async def _refused(
    request: Request,
    client: PageClient,
    customer_id: str,
    result: ApiResult,
    errors: dict[str, str],
    state: FormState,
    *,
    uploading: bool,
) -> Response:
    """The customer's page again with the refusal in its Documents panel (`document_form` given)."""
    if result.status == 404 and uploading:
        # An upload's 404 is orders' for the customer, which it has not heard of yet (the page found it; were it
        # gone, the page itself would be the 404): said in the panel, the form kept.
        result = ApiResult(404, {"detail": DOCUMENTS_NOT_YET})
        return await refused_page(
            request, client, customer_id, result, errors, gone_if_missing=False, document_form=state
        )
    return await refused_page(request, client, customer_id, result, errors, document_form=state)


@router.get("/dashboard/documents/{document_id}/download")
async def download_document(request: Request, document_id: str) -> Response:
    """The file as orders streams it, under its own name; `?copy=original` a voided invoice as first issued."""
    client = await staff_client(request)
    copy = request.query_params.get("copy")
    query = "copy=original" if copy == "original" else ""
    return await client.relay(download_path(id_or_404(document_id, "document")), query=query)
