"""The document pages' plumbing, against the stand-in services: an upload form goes on to orders as a multipart
body streamed from the form's spool, with its length declared up front, the file's bytes and the fields as typed
and nothing of the page's own (its CSRF token); a download relays the service's answer with its own headers; the
audit log describes what happened to documents in words."""

import uuid

from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header

from gateway.web.dashboard.audit import describe
from tests.gateway.conftest import GatewayHarness
from tests.gateway.test_pages import _csrf

# Past the form parser's in-memory spool (1 MiB in Starlette) it would be on disk; the gateway's page body limit
# (64 KiB unless the route declares more) keeps this one small, with bytes of every value.
FILE = bytes(range(256)) * 200


def _parts(received_body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """The multipart body's parts by name: (file name, bytes)."""
    _, options = parse_options_header(content_type)
    parts: dict[str, tuple[str | None, bytes]] = {}
    headers: dict[bytes, bytes] = {}
    field = bytearray()
    value = bytearray()
    data = bytearray()

    def on_header_field(chunk: bytes, start: int, end: int) -> None:
        field.extend(chunk[start:end])

    def on_header_value(chunk: bytes, start: int, end: int) -> None:
        value.extend(chunk[start:end])

    def on_header_end() -> None:
        headers[bytes(field).lower()] = bytes(value)
        field.clear()
        value.clear()

    def on_part_data(chunk: bytes, start: int, end: int) -> None:
        data.extend(chunk[start:end])

    def on_part_end() -> None:
        _, disposition = parse_options_header(headers[b"content-disposition"])
        name = disposition[b"name"].decode()
        file_name = disposition.get(b"filename")
        parts[name] = (file_name.decode() if file_name is not None else None, bytes(data))
        headers.clear()
        data.clear()

    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    parser.write(received_body)
    parser.finalize()
    return parts


async def test_an_upload_goes_on_to_orders_as_a_streamed_multipart_body_of_the_declared_length(
    gateway: GatewayHarness,
) -> None:
    await gateway.sign_up()
    token = await _csrf(gateway.client, "/dashboard")
    customer_id = str(uuid.uuid4())

    response = await gateway.client.post(
        f"/dashboard/customers/{customer_id}/documents",
        data={"csrf_token": token, "document_title": " Tax certificate ", "document_expires": "2030-01-31"},
        files={"document_file": ('cert "2030".pdf', FILE, "application/pdf")},
    )

    # The stand-in answers 200 (an echo): the page takes it as done, back to the customer's Documents panel.
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/dashboard/customers/{customer_id}#documents"
    [call] = gateway.services["orders"].calls_to(f"/api/v1/customers/{customer_id}/documents")
    assert call.method == "POST"
    assert call.headers["content-length"] == str(len(call.body))
    assert "transfer-encoding" not in call.headers
    assert call.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = _parts(call.body, call.headers["content-type"])
    assert parts == {
        "title": (None, b"Tax certificate"),
        "expiresAt": (None, b"2030-01-31"),
        # A quote in the name is sent as browsers send it (percent-encoded); orders keeps the base name.
        "file": ("cert %222030%22.pdf", FILE),
    }


async def test_an_upload_without_a_file_or_optional_fields_sends_only_what_was_given(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    token = await _csrf(gateway.client, "/dashboard")
    customer_id = str(uuid.uuid4())

    # A browser posts an unchosen file input as an empty part without a name.
    response = await gateway.client.post(
        f"/dashboard/customers/{customer_id}/documents",
        data={"csrf_token": token, "document_title": "", "document_expires": ""},
        files={"document_file": ("", b"", "application/octet-stream")},
    )

    assert response.status_code == 303, response.text
    [call] = gateway.services["orders"].calls_to(f"/api/v1/customers/{customer_id}/documents")
    # Orders, not the page, says that a file is missing (its 422 names the field).
    assert _parts(call.body, call.headers["content-type"]) == {}


async def test_an_upload_without_the_forms_csrf_token_reaches_nobody(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    await _csrf(gateway.client, "/dashboard")
    customer_id = str(uuid.uuid4())

    response = await gateway.client.post(
        f"/dashboard/customers/{customer_id}/documents",
        data={"document_title": "Tax certificate"},
        files={"document_file": ("cert.pdf", FILE, "application/pdf")},
    )

    assert response.status_code == 403
    assert gateway.services["orders"].calls_to(f"/api/v1/customers/{customer_id}/documents") == []


async def test_a_download_relays_the_services_answer_and_a_signed_out_visitor_signs_in_first(
    gateway: GatewayHarness,
) -> None:
    document_id = str(uuid.uuid4())
    signed_out = await gateway.client.get(f"/dashboard/documents/{document_id}/download")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/login?next=")

    await gateway.sign_up()
    original = await gateway.client.get(f"/dashboard/documents/{document_id}/download?copy=original")
    void_copy = await gateway.client.get(f"/dashboard/documents/{document_id}/download?copy=anything")

    [first, second] = gateway.services["orders"].calls_to(f"/api/v1/documents/{document_id}/download")
    assert (first.query, second.query) == ("copy=original", "")
    assert original.status_code == 200
    # The stand-in's own answer, passed on as it came (a document's type, length and name are the service's).
    assert original.headers["content-type"] == "application/json"
    assert original.headers["content-length"] == str(len(original.content))
    assert original.headers["cache-control"] == "no-store"
    assert original.headers["x-content-type-options"] == "nosniff"
    assert original.json()["path"] == f"/api/v1/documents/{document_id}/download"
    assert void_copy.status_code == 200


def test_the_audit_log_tells_what_happened_to_documents_in_words() -> None:
    invoice = {"kind": "INVOICE", "number": "INV-000007", "orderNumber": "SO-000042", "title": "Invoice INV-000007"}
    packing_list = {"kind": "PACKING_LIST", "number": None, "orderNumber": "SO-000042"}
    upload = {"title": "Tax exemption", "fileName": "cert.pdf", "sizeBytes": 2_516_582, "expiresAt": "2027-03-31"}
    untitled = {"title": "cert.pdf", "fileName": "cert.pdf", "sizeBytes": 900, "expiresAt": None}

    described = [
        describe({"action": "DocumentIssued", "metadata": invoice}),
        describe({"action": "DocumentIssued", "metadata": packing_list}),
        describe({"action": "DocumentVoided", "metadata": {**invoice, "reason": "Ordered twice"}}),
        describe({"action": "DocumentVoided", "metadata": {**invoice, "reason": None}}),
        describe({"action": "DocumentUploaded", "metadata": upload}),
        describe({"action": "DocumentUploaded", "metadata": untitled}),
        describe({"action": "DocumentDeleted", "metadata": upload}),
        # An entry without the fields a describer reads is shown by its bare action.
        describe({"action": "DocumentUploaded", "metadata": {"title": "x"}}),
    ]

    assert described == [
        "Invoice INV-000007 issued for SO-000042",
        "Packing list issued for SO-000042",
        "Invoice INV-000007 voided (SO-000042 cancelled): “Ordered twice”",
        "Invoice INV-000007 voided (SO-000042 cancelled), no reason given",
        "“Tax exemption” (cert.pdf) uploaded, 2.4 MB, expires 2027-03-31",
        "“cert.pdf” uploaded, 900 bytes",
        "“Tax exemption” (cert.pdf) deleted",
        None,
    ]
