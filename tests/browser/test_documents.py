"""Documents in a real browser on the full topology (issue 13), the first test at desktop width and at 390 px:

- staff upload a PDF to a customer on its dashboard page, with a title and an expiry ten days ahead: it is
  listed there and in the dashboard home's expiring list; a VIEWER contact of the customer signs in to the
  storefront, opens Documents and downloads the very same bytes;
- an order confirmed with the dashboard's button gets its invoice: listed on the dashboard's order page and
  linked from the storefront's order page, where it downloads as a PDF whose text has the invoice number (its
  first page rendered to PNG with pdftoppm, kept as an artifact);
- an executable renamed .pdf is refused on the customer's page with the service's 415, the title kept, and
  nothing is listed.

Set-up goes through the public API, as an integrator's would. Screenshots and the invoice's PNG are kept
under test-results/documents/ (look at them).
"""

import asyncio
import datetime as dt
import hashlib
import io
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Locator, Page, expect
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from tests.browser.support import accept_dialog
from tests.browser.test_dashboard_orders import owner_email, place, sign_in, wait_until_orderable
from tests.browser.test_ui_storefront import fits_the_screen
from tests.browser.test_ui_storefront import sign_in as sign_in_to_store
from tests.e2e.test_catalog_pages import new_customer, new_product, open_catalog
from tests.e2e.test_storefront_pages import set_password
from tests.support.api import unique
from tests.support.events import wait_until
from tests.support.systems import RunningSystem

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results" / "documents"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
DESKTOP_ONLY = pytest.mark.parametrize("width", ["desktop"], indirect=True)
INVOICE_NUMBER = re.compile(r"^INV-\d{6}$")
# What `file` says of an executable: Windows' MZ header, then the PE signature a little further on.
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00"
EXECUTABLE += b"\x00" * (0x80 - len(EXECUTABLE)) + b"PE\x00\x00" + b"\x00" * 256

Shot = Callable[[Page, str], Awaitable[None]]


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def screens(browser: Browser, width: str) -> AsyncIterator[Callable[[], Awaitable[Page]]]:
    """Fresh browser contexts at the test's width, one per person signing in."""
    contexts = []

    async def open_one() -> Page:
        context = await browser.new_context(viewport=WIDTHS[width], accept_downloads=True)  # type: ignore[arg-type]
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_one
    for context in contexts:
        await context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest, width: str) -> Shot:
    """Saves a full-page screenshot as test-results/documents/<test>-<width>-<step>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = request.node.originalname.removeprefix("test_")[:50]

    async def take(page: Page, step: str) -> None:
        await page.screenshot(path=ARTIFACTS / f"{test}-{width}-{step}.png", full_page=True)

    return take


@pytest.fixture
async def owner(full_system: RunningSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=full_system.base_url) as client:
        yield client


# -- set-up through the public API --------------------------------------------------------------------


def certificate_pdf(text: str) -> bytes:
    """A small real PDF, as a customer's tax-exemption certificate would be."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=True)
    canvas.drawString(72, 720, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


async def customer_with_contact(owner: httpx.AsyncClient, slug: str, role: str) -> tuple[dict[str, Any], str]:
    """A customer that orders already knows of, and a contact of it (`role`) with their storefront password."""
    customer = await new_customer(owner, name="Blue Plate Diner")
    body = {"email": f"{unique(role.lower())}@example.com", "name": "Ana Payable", "role": role}
    contact = await owner.post(f"/api/v1/customers/{customer['id']}/contacts", json=body)
    assert contact.status_code == 201, contact.text
    await set_password(str(owner.base_url), slug, body["email"])

    async def orders_knows_it() -> bool:
        # Orders hears of the customer from identity's events; until then its documents are a 404.
        return (await owner.get(f"/api/v1/customers/{customer['id']}/documents")).status_code == 200

    await wait_until(orders_knows_it, within=20, what="orders to learn of the customer")
    return customer, body["email"]


async def open_in_bar(page: Page, width: str, name: str) -> None:
    """Follows the storefront bar's link `name`: inline on a wide screen, in the menu on a phone."""
    if width == "phone":
        await page.get_by_test_id("store-menu-toggle").click()
        await page.get_by_test_id(f"store-menu-{name}").click()
    else:
        await page.get_by_test_id(f"store-nav-{name}-link").click()


async def dismiss_dialog(dialog: Dialog) -> None:
    await dialog.dismiss()


async def downloaded(page: Page, link: Locator) -> tuple[bytes, str]:
    """What clicking `link` downloads: its bytes and the name the browser was told to save it under."""
    async with page.expect_download() as started:
        await link.click()
    download = await started.value
    saved = await download.path()
    return await asyncio.to_thread(saved.read_bytes), download.suggested_filename


# -- the tests ---------------------------------------------------------------------------------------


async def test_a_file_uploaded_on_the_customer_page_is_expiring_on_the_home_and_downloads_the_same_on_the_store(
    full_system: RunningSystem, owner: httpx.AsyncClient, screens: Callable[[], Awaitable[Page]], width: str, shot: Shot
):
    base = full_system.base_url
    slug = (await open_catalog(owner))["slug"]
    customer, contact = await customer_with_contact(owner, slug, "VIEWER")
    content = certificate_pdf(f"Tax exemption certificate {uuid.uuid4()}")
    expires = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=10)).isoformat()

    staff = await screens()
    await sign_in(staff, base, await owner_email(owner))
    await staff.goto(f"{base}/dashboard/customers/{customer['id']}")
    panel = staff.get_by_test_id("documents-panel")
    await expect(panel.get_by_test_id("documents-empty")).to_be_visible()
    await panel.get_by_test_id("add-document").click()
    await panel.get_by_test_id("field-document_file").set_input_files(
        {"name": "exemption-2026.pdf", "mimeType": "application/pdf", "buffer": content}
    )
    await panel.get_by_label("Title (optional)").fill("Tax exemption certificate")
    await panel.get_by_label("Expires (optional)").fill(expires)
    await shot(staff, "1-upload-form")
    await panel.get_by_test_id("document-submit").click()
    await staff.wait_for_url(f"{base}/dashboard/customers/{customer['id']}#documents")
    await expect(panel.get_by_test_id("flash")).to_contain_text("Document uploaded.")
    row = panel.get_by_test_id("document-row")
    await expect(row).to_have_count(1)
    await expect(row.get_by_test_id("document-download-name")).to_have_text("Tax exemption certificate")
    await expect(row.get_by_test_id("document-file-name")).to_have_text("exemption-2026.pdf")
    await expect(row.get_by_test_id("document-kind")).to_have_text("File")
    await expect(row.get_by_test_id("document-expires")).to_contain_text(expires)
    await shot(staff, "2-customer-documents")
    await fits_the_screen(staff)
    staff_copy, staff_name = await downloaded(staff, row.get_by_test_id("document-download"))
    assert (staff_copy, staff_name) == (content, "exemption-2026.pdf")

    await staff.goto(f"{base}/dashboard")
    expiring = staff.get_by_test_id("expiring-document").filter(has_text="Tax exemption certificate")
    await expect(expiring).to_have_count(1)
    await expect(expiring.get_by_test_id("expiring-customer")).to_have_text("Blue Plate Diner")
    await expect(expiring.get_by_test_id("expiring-when")).to_have_text("expires in 10 days")
    await shot(staff, "3-dashboard-expiring")
    await fits_the_screen(staff)
    await expiring.get_by_test_id("expiring-customer").click()
    await staff.wait_for_url(f"{base}/dashboard/customers/{customer['id']}#documents")

    store = await screens()
    await sign_in_to_store(store, base, slug, contact)
    await open_in_bar(store, width, "documents")
    await store.wait_for_url(f"{base}/store/{slug}/documents")
    await expect(store.get_by_test_id("store-nav-documents")).to_have_attribute("aria-current", "page")
    listed = store.get_by_test_id("document-row")
    await expect(listed).to_have_count(1)
    await expect(listed.get_by_test_id("document-download-name")).to_have_text("Tax exemption certificate")
    # A contact cannot delete what their distributor keeps for them.
    await expect(listed.get_by_test_id("document-delete")).to_have_count(0)
    await shot(store, "4-storefront-documents")
    await fits_the_screen(store)
    store_copy, store_name = await downloaded(store, listed.get_by_test_id("document-download"))
    assert store_name == "exemption-2026.pdf"
    assert hashlib.sha256(store_copy).hexdigest() == hashlib.sha256(content).hexdigest()


@DESKTOP_ONLY
async def test_a_confirmed_orders_invoice_is_linked_from_the_storefront_order_page_and_reads_its_number(
    full_system: RunningSystem, owner: httpx.AsyncClient, screens: Callable[[], Awaitable[Page]], width: str, shot: Shot
):
    base = full_system.base_url
    slug = (await open_catalog(owner))["slug"]
    customer, contact = await customer_with_contact(owner, slug, "BUYER")
    bolts = await new_product(owner, sku=unique("BOLT"), name="Hex bolts M8", unitPrice="4.25", unitOfSale="box")
    await wait_until_orderable(owner, [bolts["id"]], customer["id"])
    order = await place(owner, bolts["id"], 8, customerId=customer["id"], poNumber="PO-4711")

    staff = await screens()
    await sign_in(staff, base, await owner_email(owner))
    await staff.goto(f"{base}/dashboard/orders/{order['id']}")
    await expect(staff.get_by_test_id("order-documents-empty")).to_be_visible()
    await staff.get_by_test_id("order-next-status").click()
    await expect(staff.get_by_test_id("flash")).to_contain_text("Order confirmed.")
    invoice_row = staff.get_by_test_id("order-documents-table").get_by_test_id("document-row")
    await expect(invoice_row).to_have_count(1)
    await expect(invoice_row).to_have_attribute("data-kind", "INVOICE")
    number = await invoice_row.get_attribute("data-number")
    assert number is not None
    assert INVOICE_NUMBER.match(number), number
    await expect(invoice_row.get_by_test_id("document-download-name")).to_have_text(f"Invoice {number}")
    await shot(staff, "1-dashboard-order")

    store = await screens()
    await sign_in_to_store(store, base, slug, contact)
    await store.goto(f"{base}/store/{slug}/orders/{order['id']}")
    linked = store.get_by_test_id("order-documents").get_by_test_id("document-row")
    await expect(linked).to_have_count(1)
    await expect(linked.get_by_test_id("document-download-name")).to_have_text(f"Invoice {number}")
    await shot(store, "2-storefront-order")
    await fits_the_screen(store)
    invoice, name = await downloaded(store, linked.get_by_test_id("document-download-name"))
    assert name == f"{number}.pdf"
    assert invoice.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice)).pages)
    assert number in text
    assert order["number"] in text
    assert "PO-4711" in text

    # The artifact: the invoice's first page as people see it.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTIFACTS / "invoice.pdf"
    await asyncio.to_thread(pdf_path.write_bytes, invoice)
    pdftoppm = await asyncio.create_subprocess_exec(
        "pdftoppm",
        "-png",
        "-r",
        "80",
        "-f",
        "1",
        "-l",
        "1",
        str(pdf_path),
        str(ARTIFACTS / "invoice-page"),
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await pdftoppm.communicate()
    assert pdftoppm.returncode == 0, errors.decode()
    [png] = ARTIFACTS.glob("invoice-page*.png")
    assert png.read_bytes().startswith(b"\x89PNG")


@DESKTOP_ONLY
async def test_an_executable_renamed_pdf_is_refused_on_the_customer_page_with_the_title_kept_and_nothing_listed(
    full_system: RunningSystem, owner: httpx.AsyncClient, screens: Callable[[], Awaitable[Page]], width: str, shot: Shot
):
    base = full_system.base_url
    slug = (await open_catalog(owner))["slug"]
    customer, _ = await customer_with_contact(owner, slug, "VIEWER")

    staff = await screens()
    await sign_in(staff, base, await owner_email(owner))
    await staff.goto(f"{base}/dashboard/customers/{customer['id']}")
    panel = staff.get_by_test_id("documents-panel")
    await panel.get_by_test_id("add-document").click()
    await panel.get_by_test_id("field-document_file").set_input_files(
        {"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": EXECUTABLE}
    )
    await panel.get_by_label("Title (optional)").fill("Definitely a PDF")
    async with staff.expect_navigation() as navigation:
        await panel.get_by_test_id("document-submit").click()
    answer = await navigation.value
    assert answer is not None
    assert answer.status == 415

    await expect(panel.get_by_test_id("document-error")).to_contain_text("not a type documents accept")
    await expect(panel.get_by_test_id("document-error")).to_contain_text("PDF, PNG, JPEG, CSV, XLSX or DOCX")
    await expect(panel.get_by_test_id("error-document_file")).to_have_text("Choose another file.")
    # The form is open again with what was typed; the file must be chosen again.
    await expect(panel.get_by_label("Title (optional)")).to_have_value("Definitely a PDF")
    await expect(panel.get_by_test_id("document-row")).to_have_count(0)
    await expect(panel.get_by_test_id("documents-empty")).to_be_visible()
    await shot(staff, "1-refused")
    await fits_the_screen(staff)
    listed = await owner.get(f"/api/v1/customers/{customer['id']}/documents")
    assert listed.json()["items"] == []


@DESKTOP_ONLY
async def test_a_file_uploaded_without_a_title_is_named_after_the_file_and_deleting_it_asks_first(
    full_system: RunningSystem, owner: httpx.AsyncClient, screens: Callable[[], Awaitable[Page]], width: str, shot: Shot
):
    base = full_system.base_url
    slug = (await open_catalog(owner))["slug"]
    customer, _ = await customer_with_contact(owner, slug, "VIEWER")

    staff = await screens()
    await sign_in(staff, base, await owner_email(owner))
    await staff.goto(f"{base}/dashboard/customers/{customer['id']}")
    panel = staff.get_by_test_id("documents-panel")
    await panel.get_by_test_id("add-document").click()
    await panel.get_by_test_id("field-document_file").set_input_files(
        {"name": "price-list.csv", "mimeType": "text/csv", "buffer": b"sku,price\nBOLT-9,4.25\n"}
    )
    await panel.get_by_test_id("document-submit").click()
    row = panel.get_by_test_id("document-row")
    await expect(row.get_by_test_id("document-download-name")).to_have_text("price-list.csv")
    await expect(row.get_by_test_id("document-size")).to_have_text("22 bytes")

    # Dismissing the confirmation keeps it.
    staff.once("dialog", dismiss_dialog)
    await row.get_by_test_id("document-delete").click()
    await expect(row).to_have_count(1)
    staff.once("dialog", accept_dialog)
    await row.get_by_test_id("document-delete").click()
    await expect(panel.get_by_test_id("flash")).to_have_text("Document deleted.")
    await expect(panel.get_by_test_id("document-row")).to_have_count(0)
    await expect(panel.get_by_test_id("documents-empty")).to_be_visible()
    assert (await owner.get(f"/api/v1/customers/{customer['id']}/documents")).json()["items"] == []
