"""Documents end to end, through the gateway only, on the full topology: an order confirmed gets its invoice,
naming the seller by the billing profile the owner gave with the plan, the same bytes for staff and for a VIEWER
contact of the customer; shipped, its packing list; a vault file
uploaded by staff reaches the customer's contacts and nobody else, and an over-size one is refused at the door."""

import hashlib
import io
from typing import Any

import httpx
from pypdf import PdfReader

from tests.e2e.test_catalog import created, customer_with_signed_in_contact, open_catalog
from tests.e2e.test_orders import ADDRESS, add_contact
from tests.support.api import BILLING_PROFILE, audit_entries, send_csrf_token
from tests.support.events import wait_until
from tests.support.systems import RunningSystem

# The smallest PNG there is: a 1x1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def place_for_customer(owner: httpx.AsyncClient, customer_id: str, address_id: str) -> dict[str, Any]:
    bolts = created(await owner.post("/api/v1/products", json={"sku": "BOLT-9", "name": "Bolts", "unitPrice": "4.25"}))
    body = {
        "customerId": customer_id,
        "shippingAddressId": address_id,
        "poNumber": "PO-4711",
        "items": [{"productId": bolts["id"], "quantity": 8}],
    }

    async def placed() -> dict[str, Any] | None:
        # Orders hears of the product, the customer and its address a moment after they are created.
        response = await owner.post("/api/v1/orders", json=body)
        return response.json() if response.status_code == 201 else None

    order: dict[str, Any] = await wait_until(placed, within=20, what="the order for the customer")
    return order


async def move(owner: httpx.AsyncClient, order_id: str, status: str) -> None:
    answer = await owner.post(f"/api/v1/orders/{order_id}/status", json={"status": status})
    assert answer.status_code == 200, answer.text


async def download(client: httpx.AsyncClient, path: str) -> bytes:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] in ("application/pdf", "image/png")
    assert response.headers["content-disposition"].startswith("attachment;")
    return response.content


async def test_a_confirmed_order_s_invoice_reaches_staff_and_a_viewer_byte_identical(full_system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=full_system.base_url) as owner,
        httpx.AsyncClient(base_url=full_system.base_url) as buyer,
        httpx.AsyncClient(base_url=full_system.base_url) as viewer,
    ):
        slug = (await open_catalog(owner))["company"]["slug"]
        plan = {"planCode": "growth", "billingProfile": BILLING_PROFILE}
        assert (await owner.post("/api/v1/subscription", json=plan)).status_code == 200
        # Identity's events reach orders in the order identity made them: the profile before the customer below.
        customer = await customer_with_signed_in_contact(owner, buyer, slug)
        await add_contact(owner, viewer, slug, customer["id"], "VIEWER")
        address = created(await owner.post(f"/api/v1/customers/{customer['id']}/addresses", json=ADDRESS))
        order = await place_for_customer(owner, customer["id"], address["id"])
        assert (await owner.get(f"/api/v1/orders/{order['id']}/documents")).json()["items"] == []

        await move(owner, order["id"], "CONFIRMED")
        [invoice] = (await owner.get(f"/api/v1/orders/{order['id']}/documents")).json()["items"]
        assert (invoice["kind"], invoice["number"], invoice["orderId"]) == ("INVOICE", "INV-000001", order["id"])
        staff_copy = await download(owner, f"/api/v1/documents/{invoice['id']}/download")
        assert hashlib.sha256(staff_copy).hexdigest() == invoice["sha256"]
        assert len(staff_copy) == invoice["sizeBytes"]
        text = pdf_text(staff_copy)
        for expected in ("INV-000001", order["number"], "PO-4711", "BOLT-9", "1 Harbour Road", "$34.00"):
            assert expected in text, expected
        seller = (BILLING_PROFILE["legalName"], BILLING_PROFILE["addressLine1"], f"Tax ID: {BILLING_PROFILE['taxId']}")
        for expected in (*seller, BILLING_PROFILE["email"]):
            assert expected in text, expected

        [listed] = (await viewer.get(f"/store/{slug}/api/documents")).json()["items"]
        assert listed["id"] == invoice["id"]
        assert await download(viewer, f"/store/{slug}/api/documents/{invoice['id']}/download") == staff_copy

        await move(owner, order["id"], "SHIPPED")
        kinds = {doc["kind"]: doc for doc in (await viewer.get(f"/store/{slug}/api/documents")).json()["items"]}
        assert set(kinds) == {"INVOICE", "PACKING_LIST"}
        packing_list_path = f"/store/{slug}/api/documents/{kinds['PACKING_LIST']['id']}/download"
        packing_list = pdf_text(await download(viewer, packing_list_path))
        assert "BOLT-9" in packing_list
        assert order["number"] in packing_list
        assert "$" not in packing_list
        # The invoice itself never changed.
        assert await download(owner, f"/api/v1/documents/{invoice['id']}/download") == staff_copy

        async def both_audited() -> list[dict[str, Any]] | None:
            entries = await audit_entries(owner, action="DocumentIssued")
            return entries if len(entries) == 2 else None

        entries = await wait_until(both_audited, within=20, what="the documents' audit entries")
        assert {entry["metadata"]["kind"] for entry in entries} == {"INVOICE", "PACKING_LIST"}


async def test_a_vault_file_reaches_the_customer_s_contacts_and_no_other_company(full_system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=full_system.base_url) as owner,
        httpx.AsyncClient(base_url=full_system.base_url) as buyer,
        httpx.AsyncClient(base_url=full_system.base_url) as stranger,
    ):
        slug = (await open_catalog(owner))["company"]["slug"]
        customer = await customer_with_signed_in_contact(owner, buyer, slug)
        send_csrf_token(buyer)
        await open_catalog(stranger)
        upload_path = f"/api/v1/customers/{customer['id']}/documents"
        form = {"title": "Tax exemption 2027", "expiresAt": "2027-06-30"}

        async def uploaded() -> httpx.Response | None:
            # Orders hears of the customer a moment after it is created.
            response = await owner.post(upload_path, data=form, files={"file": ("logo.csv", PNG, "text/csv")})
            return response if response.status_code != 404 else None

        document = created(await wait_until(uploaded, within=20, what="the upload"))
        # The type comes from the bytes, not the name or the declared type.
        assert (document["kind"], document["contentType"], document["sizeBytes"]) == ("FILE", "image/png", len(PNG))
        assert document["sha256"] == hashlib.sha256(PNG).hexdigest()

        [listed] = (await buyer.get(f"/store/{slug}/api/documents")).json()["items"]
        assert listed["title"] == "Tax exemption 2027"
        assert await download(buyer, f"/store/{slug}/api/documents/{document['id']}/download") == PNG
        for path in (f"/api/v1/documents/{document['id']}", f"/api/v1/documents/{document['id']}/download"):
            refused = await stranger.get(path)
            assert refused.status_code == 404, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
        assert (await stranger.post(upload_path, files={"file": ("a.png", PNG, "image/png")})).status_code == 404

        too_big = await owner.post(upload_path, files={"file": ("big.pdf", b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024))})
        assert too_big.status_code == 413, too_big.text
        assert too_big.headers["content-type"].startswith("application/problem+json")
        listed_after = (await owner.get(upload_path)).json()["items"]
        assert [item["id"] for item in listed_after] == [document["id"]]

        assert (await owner.delete(f"/api/v1/documents/{document['id']}")).status_code == 204
        assert (await buyer.get(f"/store/{slug}/api/documents")).json()["items"] == []
