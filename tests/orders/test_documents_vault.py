"""A customer's document vault: files uploaded as they stream in (the type read from the content, at most 10 MB,
refusals leaving nothing stored), listed, downloaded, deleted, seen by the customer's storefront accounts only, the
ones expiring soon listed, and all of it purged with the company."""

import datetime as dt
import hashlib
import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kit.context import Principal
from kit.settings import PlatformSettings
from services.orders.documents.uploads import receive_upload
from tests.contracts.envelopes import company_deleted, contact_created, customer_created
from tests.orders.ordering import ORDERS, Shop, open_shop
from tests.support.events import publish_event, wait_until
from tests.support.purge import company_rows
from tests.support.services import RunningService

DOCUMENTS = "/api/v1/documents"
STORE_DOCUMENTS = "/storefront/documents"
PROBLEM = "application/problem+json"
MiB = 1024 * 1024

PDF = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + bytes(64)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64) + b"\xff\xd9"
CSV = "sku,name,quantity\nA-1,Gloves größe L,3\n".encode()
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


def office_file(part: str) -> bytes:
    """A minimal Office Open XML package: its content types first, then the main part (word/ or xl/)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr(part, "<document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("notes.txt", "hello")
    return buffer.getvalue()


XLSX = office_file("xl/workbook.xml")
DOCX = office_file("word/document.xml")


@pytest.fixture
async def shop(orders: RunningService, platform: PlatformSettings) -> Shop:
    return await open_shop(orders, platform)


def vault(shop: Shop, customer_id: uuid.UUID | None = None) -> str:
    return f"/api/v1/customers/{customer_id or shop.customer_id}/documents"


async def upload(
    shop: Shop,
    file: tuple[str, bytes, str] | None,
    headers: dict[str, str] | None = None,
    *,
    customer_id: uuid.UUID | None = None,
    fields: dict[str, str] | None = None,
) -> httpx.Response:
    files = {"file": file} if file is not None else {"unused": ("", b"", "text/plain")}
    return await shop.orders.client.post(
        vault(shop, customer_id), files=files, data=fields or {}, headers=headers or shop.staff()
    )


async def uploaded(shop: Shop, file: tuple[str, bytes, str], **fields: str) -> dict[str, Any]:
    response = await upload(shop, file, fields=fields)
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


async def nothing_stored(shop: Shop) -> None:
    """No document row, no chunk, no event."""
    assert await shop.rows("documents") == 0
    assert await shop.rows("document_chunks") == 0
    assert await shop.outbox("DocumentUploaded") == []


def multipart(boundary: str, file_name: str, chunks: int, chunk: bytes) -> tuple[int, AsyncIterator[bytes], list[int]]:
    """A multipart body with one file part of `chunks` times `chunk`, streamed: (its length, the stream, and a list
    counting what the server has read of it)."""
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    read = [0]

    async def stream() -> AsyncIterator[bytes]:
        for piece in (head, *([chunk] * chunks), tail):
            read[0] += len(piece)
            yield piece

    return len(head) + chunks * len(chunk) + len(tail), stream(), read


# -- uploading ------------------------------------------------------------------------------------------


async def test_a_file_uploaded_to_a_customer_is_stored_with_its_title_expiry_size_and_digest(shop: Shop) -> None:
    response = await upload(
        shop, ("exemption.pdf", PDF, "application/pdf"), fields={"title": "Tax exemption", "expiresAt": "2027-03-31"}
    )

    assert response.status_code == 201, response.text
    document = response.json()
    assert response.headers["location"] == f"{DOCUMENTS}/{document['id']}"
    assert {key: document[key] for key in ("kind", "number", "title", "fileName", "contentType", "expiresAt")} == {
        "kind": "FILE",
        "number": None,
        "title": "Tax exemption",
        "fileName": "exemption.pdf",
        "contentType": "application/pdf",
        "expiresAt": "2027-03-31",
    }
    assert document["sizeBytes"] == len(PDF)
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert document["customerId"] == str(shop.customer_id)
    assert document["customerName"] == "Corner Grocery"
    assert document["orderId"] is None
    assert document["createdBy"] == {"type": "USER", "id": str(shop.user_id), "name": "Olive Owner"}
    assert (await shop.get(f"{DOCUMENTS}/{document['id']}")).json() == document
    assert (await shop.get(vault(shop))).json() == {"items": [document], "nextCursor": None}
    downloaded = await shop.get(f"{DOCUMENTS}/{document['id']}/download")
    assert downloaded.content == PDF
    assert downloaded.headers["content-type"] == "application/pdf"
    (event,) = await shop.outbox("DocumentUploaded")
    assert event.entity.version == 1
    assert event.data == {
        "id": document["id"],
        "title": "Tax exemption",
        "fileName": "exemption.pdf",
        "contentType": "application/pdf",
        "sizeBytes": len(PDF),
        "sha256": document["sha256"],
        "customerId": str(shop.customer_id),
        "expiresAt": "2027-03-31",
    }


@pytest.mark.parametrize(
    ("file_name", "content", "stored_as"),
    [
        ("scan.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("prices.csv", CSV, "text/csv"),
        ("excel-export.csv", b"\xef\xbb\xbfsku;qty\r\nA;1\r\n", "text/csv"),
        ("sheet.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("letter.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        # The name says CSV, the content PNG: the content decides.
        ("really-a-picture.csv", PNG, "image/png"),
    ],
)
async def test_each_accepted_type_is_stored_as_its_content_shows(
    shop: Shop, file_name: str, content: bytes, stored_as: str
) -> None:
    document = await uploaded(shop, (file_name, content, "application/octet-stream"))

    assert document["contentType"] == stored_as
    assert document["title"] == file_name
    downloaded = await shop.get(f"{DOCUMENTS}/{document['id']}/download")
    assert downloaded.headers["content-type"].split(";")[0] == stored_as
    assert downloaded.content == content


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        ("invoice.pdf", GIF),
        ("invoice.pdf", EXE),
        ("invoice.pdf", plain_zip()),
        ("data.csv", b"sku,qty\n\x00\x01\x02binary"),
        ("data.csv", b"caf\xe9,not utf-8\n"),
    ],
    ids=["gif", "exe", "zip", "nul-bytes", "latin-1-text"],
)
async def test_a_file_of_another_type_is_415_whatever_its_name_and_nothing_is_stored(
    shop: Shop, file_name: str, content: bytes
) -> None:
    response = await upload(shop, (file_name, content, "application/pdf"))

    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "PDF, PNG, JPEG, CSV, XLSX or DOCX" in response.json()["detail"]
    await nothing_stored(shop)


async def test_a_body_that_is_not_multipart_is_415(shop: Shop) -> None:
    response = await shop.orders.client.post(
        vault(shop), content=PDF, headers={**shop.staff(), "content-type": "application/pdf"}
    )

    assert response.status_code == 415
    await nothing_stored(shop)


@pytest.mark.parametrize(
    ("file", "fields", "field"),
    [
        (None, {"title": "Where is the file?"}, "file"),
        (("empty.pdf", b"", "application/pdf"), {}, "file"),
        (("ok.pdf", PDF, "application/pdf"), {"expiresAt": "31/03/2027"}, "expiresAt"),
        (("ok.pdf", PDF, "application/pdf"), {"expiresAt": "2027-02-30"}, "expiresAt"),
        (("ok.pdf", PDF, "application/pdf"), {"title": "x" * 201}, "title"),
        (("ok.pdf", PDF, "application/pdf"), {"title": "Tax\u202eexemption"}, "title"),
    ],
    ids=["no-file", "empty-file", "expires-not-a-date", "expires-no-such-day", "title-too-long", "title-hidden-text"],
)
async def test_an_incomplete_or_malformed_upload_is_422_naming_the_field_and_nothing_is_stored(
    shop: Shop, file: tuple[str, bytes, str] | None, fields: dict[str, str], field: str
) -> None:
    response = await upload(shop, file, fields=fields)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert [error["field"] for error in response.json()["errors"]] == [field]
    await nothing_stored(shop)


async def test_a_body_declared_over_the_limit_is_413_before_it_is_read(shop: Shop) -> None:
    length, body, read = multipart("b0undary", "huge.pdf", 11, b"%PDF" + bytes(MiB - 4))

    response = await shop.orders.client.post(
        vault(shop),
        content=body,
        headers={
            **shop.staff(),
            "content-type": "multipart/form-data; boundary=b0undary",
            "content-length": str(length),
        },
    )

    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM
    assert read[0] < MiB
    await nothing_stored(shop)


async def test_a_streamed_body_without_a_length_is_413_once_the_file_passes_10_mb(shop: Shop) -> None:
    _length, body, read = multipart("b0undary", "huge.pdf", 16, b"%PDF" + bytes(MiB - 4))

    response = await shop.orders.client.post(
        vault(shop), content=body, headers={**shop.staff(), "content-type": "multipart/form-data; boundary=b0undary"}
    )

    assert response.status_code == 413, response.text
    # Refused as the file passed 10 MiB, not after all 16 MiB were read.
    assert read[0] <= 11 * MiB + 1024
    await nothing_stored(shop)


async def test_a_file_of_exactly_10_mb_is_accepted_and_one_byte_more_is_413(shop: Shop) -> None:
    largest = b"sku,qty\n" + b"A,1\n" * ((10 * MiB - 8) // 4)
    assert len(largest) == 10 * MiB

    refused = await upload(shop, ("too-big.csv", largest + b"\n", "text/csv"))
    assert refused.status_code == 413
    await nothing_stored(shop)
    document = await uploaded(shop, ("largest.csv", largest, "text/csv"))
    assert document["sizeBytes"] == 10 * MiB


async def test_a_large_file_round_trips_byte_identical_with_its_sha256(shop: Shop) -> None:
    content = b"%PDF-1.7\n" + hashlib.shake_256(b"distribu").digest(9 * MiB - 9)

    document = await uploaded(shop, ("catalogue.pdf", content, "application/pdf"))

    assert document["sizeBytes"] == len(content)
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    # Stored in 256 KiB chunks: 36 of them.
    assert await shop.rows("document_chunks") == 36
    downloaded = await shop.get(f"{DOCUMENTS}/{document['id']}/download")
    assert downloaded.status_code == 200
    assert int(downloaded.headers["content-length"]) == len(content)
    assert hashlib.sha256(downloaded.content).hexdigest() == document["sha256"]
    assert downloaded.content == content


async def test_the_file_name_is_kept_as_its_base_name_without_control_characters(shop: Shop) -> None:
    # Written by hand: clients escape control characters in a file name, a hostile one need not.
    name = "..\\..\\secret/Zertifikat\x07 Müller.pdf".encode()
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="'
        + name
        + b'"\r\n\r\n'
        + PDF
        + b"\r\n--b0undary--\r\n"
    )
    response = await shop.orders.client.post(
        vault(shop), content=body, headers={**shop.staff(), "content-type": "multipart/form-data; boundary=b0undary"}
    )
    assert response.status_code == 201, response.text
    document = response.json()

    assert document["fileName"] == "Zertifikat Müller.pdf"
    response = await shop.get(f"{DOCUMENTS}/{document['id']}/download")
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Zertifikat M_ller.pdf\"; filename*=UTF-8''Zertifikat%20M%C3%BCller.pdf"
    )


async def test_an_unknown_or_another_company_s_customer_is_404(
    shop: Shop, orders: RunningService, platform: PlatformSettings
) -> None:
    other = await open_shop(orders, platform)

    unknown = await upload(shop, ("a.pdf", PDF, "application/pdf"), customer_id=uuid.uuid4())
    foreign = await upload(shop, ("a.pdf", PDF, "application/pdf"), customer_id=other.customer_id)

    for response in (unknown, foreign):
        assert response.status_code == 404
        assert response.json()["detail"] == "Customer not found."
    assert (await shop.get(vault(shop, other.customer_id))).status_code == 404
    await nothing_stored(shop)
    await nothing_stored(other)


async def test_api_keys_need_documents_read_to_list_and_download_and_documents_write_to_upload(shop: Shop) -> None:
    document = await uploaded(shop, ("a.pdf", PDF, "application/pdf"))
    reader = shop.api_key("documents:read")

    assert (await shop.get(vault(shop), reader)).status_code == 200
    assert (await shop.get(f"{DOCUMENTS}/{document['id']}/download", reader)).content == PDF
    assert (await upload(shop, ("b.pdf", PDF, "application/pdf"), reader)).status_code == 403
    assert (await shop.get(vault(shop), shop.api_key("orders:read"))).status_code == 403
    written = await upload(shop, ("b.pdf", PDF, "application/pdf"), shop.api_key("documents:write"))
    assert written.status_code == 201
    assert written.json()["createdBy"] == {"type": "SYSTEM", "id": str(shop.key_id), "name": "ERP sync"}


# -- listing, deleting ------------------------------------------------------------------------------


async def test_a_customer_s_list_has_its_vault_files_and_its_orders_documents_newest_first(shop: Shop) -> None:
    first = await uploaded(shop, ("a.pdf", PDF, "application/pdf"))
    order = await shop.placed()
    assert (await shop.post(f"{ORDERS}/{order['id']}/status", {"status": "CONFIRMED"})).status_code == 200
    last = await uploaded(shop, ("b.png", PNG, "image/png"))

    listed = (await shop.get(vault(shop))).json()["items"]
    assert [(document["kind"], document["title"]) for document in listed] == [
        ("FILE", "b.png"),
        ("INVOICE", "Invoice INV-000001"),
        ("FILE", "a.pdf"),
    ]
    files = (await shop.get(vault(shop), kind="FILE")).json()["items"]
    assert [document["id"] for document in files] == [last["id"], first["id"]]
    page = (await shop.get(vault(shop), limit="2")).json()
    assert len(page["items"]) == 2
    rest = (await shop.get(vault(shop), limit="2", cursor=page["nextCursor"])).json()
    assert [document["id"] for document in rest["items"]] == [first["id"]]


async def test_deleting_a_vault_file_removes_it_and_its_bytes(shop: Shop) -> None:
    kept = await uploaded(shop, ("kept.pdf", PDF, "application/pdf"))
    document = await uploaded(shop, ("old.pdf", PDF, "application/pdf"), title="Old certificate")

    response = await shop.orders.client.delete(f"{DOCUMENTS}/{document['id']}", headers=shop.staff())

    assert response.status_code == 204
    assert (await shop.get(f"{DOCUMENTS}/{document['id']}")).status_code == 404
    assert (await shop.get(f"{DOCUMENTS}/{document['id']}/download")).status_code == 404
    assert await shop.rows("documents") == 1
    assert await shop.rows("document_chunks") == 1
    assert (await shop.get(f"{DOCUMENTS}/{kept['id']}/download")).content == PDF
    (event,) = await shop.outbox("DocumentDeleted")
    assert event.entity.version == 2
    assert event.data == {
        "id": document["id"],
        "title": "Old certificate",
        "fileName": "old.pdf",
        "customerId": str(shop.customer_id),
    }


async def test_another_company_gets_404_for_a_vault_file_on_every_route(
    shop: Shop, orders: RunningService, platform: PlatformSettings
) -> None:
    other = await open_shop(orders, platform)
    document = await uploaded(shop, ("a.pdf", PDF, "application/pdf"))

    for path in (f"{DOCUMENTS}/{document['id']}", f"{DOCUMENTS}/{document['id']}/download"):
        assert (await other.get(path)).status_code == 404, path
    assert (await other.get(f"{STORE_DOCUMENTS}/{document['id']}/download", other.contact())).status_code == 404
    deleted = await other.orders.client.delete(f"{DOCUMENTS}/{document['id']}", headers=other.staff())
    assert deleted.status_code == 404
    assert (await other.get(f"{DOCUMENTS}/expiring")).json() == {"items": []}
    assert (await shop.get(f"{DOCUMENTS}/{document['id']}/download")).content == PDF


# -- the storefront ----------------------------------------------------------------------------------


async def test_every_account_of_the_customer_sees_its_vault_and_no_other_customer_s(shop: Shop) -> None:
    neighbour_id, neighbour_contact = uuid.uuid4(), uuid.uuid4()
    await shop.publish(
        customer_created(shop.company_id, neighbour_id, name="Next Door Deli"),
        contact_created(shop.company_id, neighbour_contact, customer_id=neighbour_id, email="n@deli.test", name="Nia"),
    )
    ours = await uploaded(shop, ("ours.pdf", PDF, "application/pdf"))
    theirs = await upload(shop, ("theirs.pdf", PNG, "image/png"), customer_id=neighbour_id)
    assert theirs.status_code == 201

    for account in (shop.viewer(), shop.contact(), shop.customer_account()):
        listed = await shop.get(STORE_DOCUMENTS, account)
        assert [document["id"] for document in listed.json()["items"]] == [ours["id"]]
        assert (await shop.get(f"{STORE_DOCUMENTS}/{ours['id']}/download", account)).content == PDF
        refused = await shop.get(f"{STORE_DOCUMENTS}/{theirs.json()['id']}/download", account)
        assert refused.status_code == 404
        assert refused.headers["content-type"] == PROBLEM
    neighbour = shop.headers(Principal(type="contact", id=neighbour_contact, role="ADMIN", customer_id=neighbour_id))
    assert [document["id"] for document in (await shop.get(STORE_DOCUMENTS, neighbour)).json()["items"]] == [
        theirs.json()["id"]
    ]
    assert (await shop.get(f"{STORE_DOCUMENTS}/{ours['id']}/download", neighbour)).status_code == 404
    guest = await shop.get(STORE_DOCUMENTS, shop.anonymous())
    assert guest.status_code == 401
    assert (await shop.get(f"{STORE_DOCUMENTS}/{ours['id']}/download", shop.anonymous())).status_code == 401


# -- expiring ----------------------------------------------------------------------------------------


async def test_the_expiring_list_has_files_expired_lately_or_expiring_soon_soonest_first(shop: Shop) -> None:
    today = dt.datetime.now(dt.UTC).date()

    async def expiring_in(days: int) -> dict[str, Any]:
        expires = (today + dt.timedelta(days=days)).isoformat()
        return await uploaded(shop, (f"in-{days}.pdf", PDF, "application/pdf"), expiresAt=expires)

    soon, lately, later, long_ago = (
        await expiring_in(10),
        await expiring_in(-5),
        await expiring_in(40),
        await expiring_in(-40),
    )
    await uploaded(shop, ("forever.pdf", PDF, "application/pdf"))

    default = (await shop.get(f"{DOCUMENTS}/expiring")).json()
    assert [document["id"] for document in default["items"]] == [lately["id"], soon["id"]]
    wider = (await shop.get(f"{DOCUMENTS}/expiring", days="60")).json()
    assert [document["id"] for document in wider["items"]] == [lately["id"], soon["id"], later["id"]]
    assert long_ago["id"] not in {document["id"] for document in wider["items"]}
    assert wider["items"][0]["customerName"] == "Corner Grocery"
    for days in ("0", "366"):
        assert (await shop.get(f"{DOCUMENTS}/expiring", days=days)).status_code == 422


# -- purge ---------------------------------------------------------------------------------------------


async def test_a_deleted_company_s_documents_and_their_bytes_are_purged_and_others_stay(
    orders: RunningService, platform: PlatformSettings
) -> None:
    url = orders.database.url
    doomed = await open_shop(orders, platform)
    kept = await open_shop(orders, platform)
    for shop in (doomed, kept):
        await uploaded(shop, ("a.pdf", PDF, "application/pdf"))
        order = await shop.placed()
        assert (await shop.post(f"{ORDERS}/{order['id']}/status", {"status": "CONFIRMED"})).status_code == 200
    before = await company_rows(url, doomed.company_id)
    kept_before = await company_rows(url, kept.company_id)
    assert (before["documents"], before["document_chunks"], before["document_counters"]) == (2, 2, 1)

    await publish_event(platform, company_deleted(doomed.company_id, name=doomed.name, slug="gone", version=2))

    async def purged() -> dict[str, int] | None:
        counts = await company_rows(url, doomed.company_id)
        return counts if not any(counts.values()) else None

    await wait_until(purged, what="the deleted company's documents to be purged")
    assert await company_rows(url, kept.company_id) == kept_before
    assert len((await kept.get(vault(kept))).json()["items"]) == 2


@pytest.mark.parametrize("piece_bytes", [1, 7, 1 << 20], ids=["byte-by-byte", "small-pieces", "all-at-once"])
async def test_text_fields_end_at_their_part_however_the_body_arrives(piece_bytes: int) -> None:
    """The fields before the file keep only their own value, whether the body comes in one piece or many."""
    form = {"title": "Tax exemption 2027", "expiresAt": "2027-06-30"}
    request = httpx.Request("POST", "http://orders/", data=form, files={"file": ("logo.csv", PNG, "text/csv")})
    body = request.read()
    stored = bytearray()

    class Sink:
        async def begin(self, file_name: str, content_type: str) -> None:
            assert (file_name, content_type) == ("logo.csv", "image/png")

        async def write(self, data: bytes) -> None:
            stored.extend(data)

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), piece_bytes):
            yield body[start : start + piece_bytes]

    received = await receive_upload(pieces(), request.headers["content-type"], Sink(), chunk_bytes=256 * 1024)

    assert received.fields == form
    assert bytes(stored) == PNG
