"""Dashboard pages for customers: the list with search, and one customer's page with its prices (its contacts,
addresses and documents are `customer_contacts`, `customer_addresses` and `customer_documents`, shown on this
page)."""

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, PageClient, id_or_404, problem
from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.dashboard.orders import ORDERS_API, customer_orders_url, recent_orders_query
from gateway.web.dashboard.prices import PRICES_API, PriceForms, picker_query, price_routes, prices_panel, prices_query
from gateway.web.forms import FormState, Refused, banner, go, page_status, show_again, submit, verified_form
from gateway.web.rendering import flash_messages, render
from gateway.web.vocabulary import CONTACT_ROLES

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "customer-created": (
            "success",
            "Customer added. They set a password at your storefront's setup-password page.",
        ),
        "customer-saved": ("success", "Customer saved."),
        "customer-deleted": ("success", "Customer deleted, with its contacts and addresses."),
    }
)

CUSTOMERS_API = "/api/v1/customers"
CUSTOMERS_PAGE_SIZE = 25
# The newest documents the customer's page lists (vault files and its orders' invoices and packing lists).
DOCUMENTS_SHOWN = 50
# Orders' 404 for a customer the page found: orders has not yet heard of it from identity (just added).
DOCUMENTS_NOT_YET = "The customer was only just added: its documents can be uploaded in a moment. Reload to try again."

CUSTOMER_FIELDS = {"email": "email", "name": "name"}
PRICE_FIELDS = {"productId": "price_product_id", "unitPrice": "price_unit_price"}


def customer_path(customer_id: str) -> str:
    return f"{CUSTOMERS_API}/{customer_id}"


def page_of(customer_id: str, section: str = "") -> str:
    return f"/dashboard/customers/{customer_id}" + (f"#{section}" if section else "")


# -- the list ---------------------------------------------------------------------------------


nav_entry(NavEntry("customers", "Customers", "/dashboard/customers", 10, needs=("GET", CUSTOMERS_API)))


@router.get("/dashboard/customers")
async def customers_page(request: Request) -> Response:
    client = await staff_client(request)
    return await _list_page(request, client, FormState())


@router.post("/dashboard/customers")
async def create_customer(request: Request) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    values = {name: form.get(name, "") for name in CUSTOMER_FIELDS.values()}

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await _list_page(request, client, FormState(values, errors, open=True), refused=result)

    return await submit(
        client,
        "POST",
        CUSTOMERS_API,
        values,
        fields=CUSTOMER_FIELDS,
        success=go(lambda result: page_of(str(result.body["id"])), "customer-created"),
        refused=refused,
    )


async def _list_page(
    request: Request, client: PageClient, new_customer: FormState, *, refused: ApiResult | None = None
) -> Response:
    search = request.query_params.get("q", "").strip()
    cursor = request.query_params.get("cursor")
    searching = {"q": search} if search else {}
    query = {"limit": str(CUSTOMERS_PAGE_SIZE), **searching, **({"cursor": cursor} if cursor else {})}
    frame, page = await asyncio.gather(
        dashboard_frame(request, client, "customers"),
        client.call("GET", CUSTOMERS_API, query=urlencode(query)),
    )
    if isinstance(frame, Response):
        return frame
    next_cursor = page.body.get("nextCursor") if page.ok else None
    context = {
        **frame,
        "customers": page.body.get("items", []) if page.ok else [],
        "search": search,
        "first_page": cursor is None,
        "newest_url": "/dashboard/customers" + (f"?{urlencode(searching)}" if searching else ""),
        "next_url": f"/dashboard/customers?{urlencode({**searching, 'cursor': next_cursor})}" if next_cursor else None,
        "list_error": None if page.ok else page.detail,
        "new_customer": new_customer,
        "error": banner(refused, new_customer.errors) if refused is not None else None,
    }
    answered = refused if refused is not None else page
    status_code = 200 if answered.ok else page_status(answered.status)
    return render(request, "customers.html", context, status_code=status_code)


# -- one customer -----------------------------------------------------------------------------


@router.get("/dashboard/customers/{customer_id}")
async def customer_page(request: Request, customer_id: str) -> Response:
    client = await staff_client(request)
    return await _customer_page(request, client, id_or_404(customer_id, "customer"))


@router.post("/dashboard/customers/{customer_id}")
async def save_customer(request: Request, customer_id: str) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    customer_id = id_or_404(customer_id, "customer")
    values = {name: form.get(name, "") for name in CUSTOMER_FIELDS.values()}

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await refused_page(request, client, customer_id, result, errors, details=FormState(values, errors))

    return await submit(
        client,
        "PATCH",
        customer_path(customer_id),
        values,
        fields=CUSTOMER_FIELDS,
        success=go(page_of(customer_id), "customer-saved"),
        refused=refused,
    )


@router.post("/dashboard/customers/{customer_id}/delete")
async def delete_customer(request: Request, customer_id: str) -> Response:
    await verified_form(request)
    client = await staff_client(request)
    customer_id = id_or_404(customer_id, "customer")
    return await submit(
        client,
        "DELETE",
        customer_path(customer_id),
        success=go("/dashboard/customers", "customer-deleted"),
        refused=_shown_again(request, client, customer_id),
    )


@dataclass(frozen=True)
class Row:
    """One of the customer's rows a button acts on: its collection (the page's section), id and name."""

    collection: str
    id: str
    what: str


async def row_change(
    request: Request,
    customer_id: str,
    row: Row,
    method: str,
    message: str,
    *,
    field: str | None = None,
    body: dict[str, Any] | None = None,
) -> Response:
    """A one-button change of a contact or an address (a role, a removal, the default): back to its section,
    or the customer's page again with the refusal. `field` is a posted field sent as is."""
    form = await verified_form(request)
    client = await staff_client(request)
    customer_id = id_or_404(customer_id, "customer")
    path = f"{customer_path(customer_id)}/{row.collection}/{id_or_404(row.id, row.what)}"
    json_body = {field: form.get(field, "")} if field is not None else body
    success = go(page_of(customer_id, row.collection), message)
    return await submit(
        client, method, path, json_body, success=success, refused=_shown_again(request, client, customer_id)
    )


def _shown_again(request: Request, client: PageClient, customer_id: str) -> Refused:
    """A refused one-button change: the customer's page with the refusal."""

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await refused_page(request, client, customer_id, result, {})

    return refused


# -- prices -----------------------------------------------------------------------------------


def _price_forms(request: Request, client: PageClient, customer_id: str) -> PriceForms:
    async def refused(result: ApiResult, errors: dict[str, str], forms: dict[str, FormState]) -> Response:
        # Unlike other refusals, a 404 here is the catalog's (a product since deleted, a customer it has not
        # heard of yet), not this page's customer: the page is shown again with the catalog's message.
        return await show_again(partial(_customer_page, request, client, customer_id), result, errors, forms)

    return PriceForms(
        client=client,
        fixed="customerId",
        picked="productId",
        fields=PRICE_FIELDS,
        back_to=page_of(customer_id, "prices"),
        refused=refused,
    )


price_routes(router, "/dashboard/customers/{owner_id}", "customer", _price_forms)


# -- rendering one customer -------------------------------------------------------------------


async def refused_page(
    request: Request,
    client: PageClient,
    customer_id: str,
    result: ApiResult,
    errors: dict[str, str],
    *,
    gone_if_missing: bool = True,
    **forms: FormState,
) -> Response:
    """The customer's page again after a refused change: the banner, the form's input and its field errors.
    `gone_if_missing=False`: a 404 is shown on the page too (the page itself still 404s if the customer is gone)."""
    if result.status == 404 and gone_if_missing:
        # The customer (or the row acted on) is gone or never was this company's: nothing to show again.
        raise problem(result)
    return await show_again(partial(_customer_page, request, client, customer_id), result, errors, forms)


def _documents_refusal(documents: ApiResult) -> str:
    # Orders learns of a customer from identity's events: for a moment after it is added, it knows of no such one.
    return DOCUMENTS_NOT_YET if documents.status == 404 else documents.detail


async def _customer_page(
    request: Request,
    client: PageClient,
    customer_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    details: FormState | None = None,
    contact_form: FormState | None = None,
    address_form: FormState | None = None,
    price_form: FormState | None = None,
    price_edit: FormState | None = None,
    document_form: FormState | None = None,
) -> Response:
    path = customer_path(customer_id)
    product_search = request.query_params.get("product_q", "").strip()
    (frame, customer, contacts, addresses, prices, products), orders, documents = await asyncio.gather(
        asyncio.gather(
            dashboard_frame(request, client, "customers"),
            client.call("GET", path),
            client.call("GET", f"{path}/contacts"),
            client.call("GET", f"{path}/addresses"),
            client.call("GET", PRICES_API, query=prices_query(request, "customerId", customer_id)),
            client.call("GET", "/api/v1/products", query=picker_query(product_search, status="ACTIVE")),
        ),
        client.call("GET", ORDERS_API, query=recent_orders_query(customer_id)),
        client.call("GET", f"{path}/documents", query=urlencode({"limit": str(DOCUMENTS_SHOWN)})),
    )
    if isinstance(frame, Response):
        return frame
    if not customer.ok:
        raise problem(customer)
    public_url = str(request.app.state.settings.public_url).rstrip("/")
    context = {
        **frame,
        "customer": customer.body,
        "details": details or FormState({"name": customer.body["name"], "email": customer.body["email"]}),
        "primary": contacts.body["primary"] if contacts.ok else None,
        "contacts": contacts.body["items"] if contacts.ok else [],
        "contacts_error": None if contacts.ok else contacts.detail,
        "contact_form": contact_form or FormState({"contact_role": "BUYER"}),
        "contact_roles": CONTACT_ROLES,
        "setup_url": f"{public_url}/store/{frame['me']['company']['slug']}/setup-password",
        "addresses": addresses.body["items"] if addresses.ok else [],
        "addresses_error": None if addresses.ok else addresses.detail,
        "address_form": address_form or FormState(),
        "orders": orders.body.get("items", []) if orders.ok else [],
        "orders_error": None if orders.ok else orders.detail,
        "more_orders": bool(orders.body.get("nextCursor")) if orders.ok else False,
        "orders_url": customer_orders_url(customer_id),
        "documents": documents.body.get("items", []) if documents.ok else [],
        "documents_error": None if documents.ok else _documents_refusal(documents),
        "more_documents": bool(documents.body.get("nextCursor")) if documents.ok else False,
        "document_form": document_form or FormState(),
        # An upload's or a deletion's refusal is shown in the Documents panel, where the form is, not on top.
        "document_refusal": error if document_form is not None else None,
        **prices_panel(
            request,
            page_of(customer_id),
            "productId",
            product_search,
            prices,
            products,
            price_form=price_form,
            price_edit=price_edit,
        ),
        "error": error if document_form is None else None,
    }
    return render(request, "customer_detail.html", context, status_code=status_code)
