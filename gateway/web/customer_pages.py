"""Dashboard pages for customers: the list with search, one customer with its Contacts panel, addresses and prices."""

import asyncio
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.pipeline import Caller, Gateway
from gateway.web.calls import (
    ApiResult,
    FormState,
    api,
    banner,
    dashboard_frame,
    id_or_404,
    page_status,
    problem,
    redirect,
    staff_caller,
)
from gateway.web.price_forms import PRICES_API, PriceForms
from gateway.web.rendering import flash, render, verified_form
from kit.errors import NotFound

router = APIRouter(include_in_schema=False)

CUSTOMERS_PAGE_SIZE = 25
CONTACT_ROLES = ("ADMIN", "BUYER", "VIEWER")

CUSTOMER_FIELDS = {"email": "email", "name": "name"}
CONTACT_FIELDS = {"email": "contact_email", "name": "contact_name", "role": "contact_role"}
ADDRESS_FIELDS = {
    "label": "label",
    "recipient": "recipient",
    "line1": "line1",
    "line2": "line2",
    "city": "city",
    "region": "region",
    "postalCode": "postal_code",
    "country": "country",
    "phone": "phone",
    "isDefault": "is_default",
}
ADDRESS_TEXT_FIELDS = tuple(name for name in ADDRESS_FIELDS.values() if name != "is_default")
PRICES_PAGE_SIZE = 50
# The API's largest page; the product picker has a search box for catalogs longer than that.
PRODUCT_PICKER_SIZE = 200
PRICE_FIELDS = {"productId": "price_product_id", "unitPrice": "price_unit_price"}


def _customer_path(customer_id: str) -> str:
    return f"/api/v1/customers/{customer_id}"


def _page_of(customer_id: str, section: str = "") -> str:
    return f"/dashboard/customers/{customer_id}" + (f"#{section}" if section else "")


# -- the list ---------------------------------------------------------------------------------


@router.get("/dashboard/customers")
async def customers_page(request: Request) -> Response:
    gateway, caller = await staff_caller(request)
    return await _list_page(request, gateway, caller, FormState())


@router.post("/dashboard/customers")
async def create_customer(request: Request) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    values = {name: form.get(name, "") for name in CUSTOMER_FIELDS.values()}
    result = await api(gateway, caller, "POST", "/api/v1/customers", json_body=values)
    if result.ok:
        response = redirect(_page_of(str(result.body["id"])))
        flash(response, "customer-created")
        return response
    errors = result.field_errors(CUSTOMER_FIELDS)
    return await _list_page(request, gateway, caller, FormState(values, errors, open=True), refused=result)


async def _list_page(
    request: Request, gateway: Gateway, caller: Caller, new_customer: FormState, *, refused: ApiResult | None = None
) -> Response:
    search = request.query_params.get("q", "").strip()
    cursor = request.query_params.get("cursor")
    searching = {"q": search} if search else {}
    query = {"limit": str(CUSTOMERS_PAGE_SIZE), **searching, **({"cursor": cursor} if cursor else {})}
    frame, page = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "customers"),
        api(gateway, caller, "GET", "/api/v1/customers", query=urlencode(query)),
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
    gateway, caller = await staff_caller(request)
    return await _customer_page(request, gateway, caller, id_or_404(customer_id, "customer"))


@router.post("/dashboard/customers/{customer_id}")
async def save_customer(request: Request, customer_id: str) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id = id_or_404(customer_id, "customer")
    values = {name: form.get(name, "") for name in CUSTOMER_FIELDS.values()}
    result = await api(gateway, caller, "PATCH", _customer_path(customer_id), json_body=values)
    if result.ok:
        response = redirect(_page_of(customer_id))
        flash(response, "customer-saved")
        return response
    errors = result.field_errors(CUSTOMER_FIELDS)
    return await _refused(request, gateway, caller, customer_id, result, errors, details=FormState(values, errors))


@router.post("/dashboard/customers/{customer_id}/delete")
async def delete_customer(request: Request, customer_id: str) -> Response:
    await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id = id_or_404(customer_id, "customer")
    result = await api(gateway, caller, "DELETE", _customer_path(customer_id))
    if result.ok:
        response = redirect("/dashboard/customers")
        flash(response, "customer-deleted")
        return response
    return await _refused(request, gateway, caller, customer_id, result, {})


# -- contacts ---------------------------------------------------------------------------------


@router.post("/dashboard/customers/{customer_id}/contacts")
async def add_contact(request: Request, customer_id: str) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id = id_or_404(customer_id, "customer")
    values = {name: form.get(name, "") for name in CONTACT_FIELDS.values()}
    body = {"email": values["contact_email"], "name": values["contact_name"], "role": values["contact_role"]}
    result = await api(gateway, caller, "POST", f"{_customer_path(customer_id)}/contacts", json_body=body)
    if result.ok:
        response = redirect(_page_of(customer_id, "contacts"))
        flash(response, "contact-added")
        return response
    errors = result.field_errors(CONTACT_FIELDS)
    state = FormState(values, errors, open=True)
    return await _refused(request, gateway, caller, customer_id, result, errors, contact_form=state)


@router.post("/dashboard/customers/{customer_id}/contacts/{contact_id}/role")
async def change_contact_role(request: Request, customer_id: str, contact_id: str) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id = id_or_404(customer_id, "customer")
    path = f"{_customer_path(customer_id)}/contacts/{id_or_404(contact_id, 'contact')}"
    result = await api(gateway, caller, "PATCH", path, json_body={"role": form.get("role", "")})
    if result.ok:
        response = redirect(_page_of(customer_id, "contacts"))
        flash(response, "contact-role-changed")
        return response
    return await _refused(request, gateway, caller, customer_id, result, {})


@router.post("/dashboard/customers/{customer_id}/contacts/{contact_id}/remove")
async def remove_contact(request: Request, customer_id: str, contact_id: str) -> Response:
    await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id = id_or_404(customer_id, "customer")
    path = f"{_customer_path(customer_id)}/contacts/{id_or_404(contact_id, 'contact')}"
    result = await api(gateway, caller, "DELETE", path)
    if result.ok:
        response = redirect(_page_of(customer_id, "contacts"))
        flash(response, "contact-removed")
        return response
    return await _refused(request, gateway, caller, customer_id, result, {})


# -- addresses --------------------------------------------------------------------------------


def _address_values(form: dict[str, str]) -> dict[str, str]:
    values = {name: form.get(name, "") for name in ADDRESS_TEXT_FIELDS}
    values["is_default"] = "on" if form.get("is_default") else ""
    return values


def _address_body(values: dict[str, str], *, include_default: bool) -> dict[str, Any]:
    body: dict[str, Any] = {api_name: values[name] for api_name, name in ADDRESS_FIELDS.items() if name != "is_default"}
    if include_default:
        body["isDefault"] = bool(values["is_default"])
    return body


@router.post("/dashboard/customers/{customer_id}/addresses")
async def add_address(request: Request, customer_id: str) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id = id_or_404(customer_id, "customer")
    values = _address_values(form)
    body = _address_body(values, include_default=True)
    result = await api(gateway, caller, "POST", f"{_customer_path(customer_id)}/addresses", json_body=body)
    if result.ok:
        response = redirect(_page_of(customer_id, "addresses"))
        flash(response, "address-added")
        return response
    errors = result.field_errors(ADDRESS_FIELDS)
    state = FormState(values, errors, open=True)
    return await _refused(request, gateway, caller, customer_id, result, errors, address_form=state)


@router.post("/dashboard/customers/{customer_id}/addresses/{address_id}/default")
async def make_default_address(request: Request, customer_id: str, address_id: str) -> Response:
    await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id = id_or_404(customer_id, "customer")
    path = f"{_customer_path(customer_id)}/addresses/{id_or_404(address_id, 'address')}"
    result = await api(gateway, caller, "PATCH", path, json_body={"isDefault": True})
    if result.ok:
        response = redirect(_page_of(customer_id, "addresses"))
        flash(response, "address-default")
        return response
    return await _refused(request, gateway, caller, customer_id, result, {})


@router.post("/dashboard/customers/{customer_id}/addresses/{address_id}/delete")
async def delete_address(request: Request, customer_id: str, address_id: str) -> Response:
    await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id = id_or_404(customer_id, "customer")
    path = f"{_customer_path(customer_id)}/addresses/{id_or_404(address_id, 'address')}"
    result = await api(gateway, caller, "DELETE", path)
    if result.ok:
        response = redirect(_page_of(customer_id, "addresses"))
        flash(response, "address-deleted")
        return response
    return await _refused(request, gateway, caller, customer_id, result, {})


@router.get("/dashboard/customers/{customer_id}/addresses/{address_id}")
async def address_page(request: Request, customer_id: str, address_id: str) -> Response:
    gateway, caller = await staff_caller(request)
    customer_id, address_id = id_or_404(customer_id, "customer"), id_or_404(address_id, "address")
    return await _address_page(request, gateway, caller, customer_id, address_id, None)


@router.post("/dashboard/customers/{customer_id}/addresses/{address_id}")
async def save_address(request: Request, customer_id: str, address_id: str) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id, address_id = id_or_404(customer_id, "customer"), id_or_404(address_id, "address")
    values = _address_values(form)
    # Unticking "default" is not a change the API takes: another address has to become the default instead.
    body = _address_body(values, include_default=bool(values["is_default"]))
    path = f"{_customer_path(customer_id)}/addresses/{address_id}"
    result = await api(gateway, caller, "PATCH", path, json_body=body)
    if result.ok:
        response = redirect(_page_of(customer_id, "addresses"))
        flash(response, "address-saved")
        return response
    errors = result.field_errors(ADDRESS_FIELDS)
    state = FormState(values, errors)
    return await _address_page(request, gateway, caller, customer_id, address_id, state, result=result)


async def _address_page(
    request: Request,
    gateway: Gateway,
    caller: Caller,
    customer_id: str,
    address_id: str,
    state: FormState | None,
    *,
    result: ApiResult | None = None,
) -> Response:
    frame, customer, addresses = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "customers"),
        api(gateway, caller, "GET", _customer_path(customer_id)),
        api(gateway, caller, "GET", f"{_customer_path(customer_id)}/addresses"),
    )
    if isinstance(frame, Response):
        return frame
    for answer in (customer, addresses):
        if not answer.ok:
            raise problem(answer)
    address = next((item for item in addresses.body["items"] if item["id"] == address_id), None)
    if address is None:
        raise NotFound("There is no such address for this customer.")
    if state is None:
        values = {
            name: address.get(api_name) or "" for api_name, name in ADDRESS_FIELDS.items() if name != "is_default"
        }
        values["is_default"] = "on" if address["isDefault"] else ""
        state = FormState(values)
    context = {
        **frame,
        "customer": customer.body,
        "address": address,
        "form": state,
        "error": banner(result, state.errors) if result is not None else None,
    }
    status_code = page_status(result.status) if result is not None else 200
    return render(request, "customer_address.html", context, status_code=status_code)


# -- prices -----------------------------------------------------------------------------------


@router.post("/dashboard/customers/{customer_id}/prices")
async def set_price(request: Request, customer_id: str) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id = id_or_404(customer_id, "customer")
    return await _price_forms(request, gateway, caller, customer_id).set(gateway, caller, customer_id, form)


@router.post("/dashboard/customers/{customer_id}/prices/{override_id}")
async def change_price(request: Request, customer_id: str, override_id: str) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id, override_id = id_or_404(customer_id, "customer"), id_or_404(override_id, "price")
    return await _price_forms(request, gateway, caller, customer_id).change(gateway, caller, override_id, form)


@router.post("/dashboard/customers/{customer_id}/prices/{override_id}/remove")
async def remove_price(request: Request, customer_id: str, override_id: str) -> Response:
    await verified_form(request)
    gateway, caller = await staff_caller(request)
    customer_id, override_id = id_or_404(customer_id, "customer"), id_or_404(override_id, "price")
    return await _price_forms(request, gateway, caller, customer_id).remove(gateway, caller, override_id)


def _price_forms(request: Request, gateway: Gateway, caller: Caller, customer_id: str) -> PriceForms:
    async def refused(result: ApiResult, errors: dict[str, str], forms: dict[str, FormState]) -> Response:
        return await _price_refused(request, gateway, caller, customer_id, result, errors, **forms)

    return PriceForms(
        fixed="customerId",
        picked="productId",
        fields=PRICE_FIELDS,
        back_to=_page_of(customer_id, "prices"),
        refused=refused,
    )


async def _price_refused(
    request: Request,
    gateway: Gateway,
    caller: Caller,
    customer_id: str,
    result: ApiResult,
    errors: dict[str, str],
    **forms: FormState,
) -> Response:
    # Unlike other refusals, a 404 here is the catalog's (a product since deleted, a customer it has not
    # heard of yet), not this page's customer: the page is shown again with the catalog's message.
    return await _customer_page(
        request,
        gateway,
        caller,
        customer_id,
        error=banner(result, errors),
        status_code=page_status(result.status),
        **forms,
    )


# -- rendering one customer -------------------------------------------------------------------


async def _refused(
    request: Request,
    gateway: Gateway,
    caller: Caller,
    customer_id: str,
    result: ApiResult,
    errors: dict[str, str],
    **forms: FormState,
) -> Response:
    """The customer's page again after a refused change: the banner, the form's input and its field errors."""
    if result.status == 404:
        # The customer (or the row acted on) is gone or never was this company's: nothing to show again.
        raise problem(result)
    return await _customer_page(
        request,
        gateway,
        caller,
        customer_id,
        error=banner(result, errors),
        status_code=page_status(result.status),
        **forms,
    )


async def _customer_page(
    request: Request,
    gateway: Gateway,
    caller: Caller,
    customer_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    details: FormState | None = None,
    contact_form: FormState | None = None,
    address_form: FormState | None = None,
    price_form: FormState | None = None,
    price_edit: FormState | None = None,
) -> Response:
    path = _customer_path(customer_id)
    params = request.query_params
    prices_cursor = params.get("prices_cursor")
    product_search = params.get("product_q", "").strip()
    prices_query = {
        "customerId": customer_id,
        "limit": str(PRICES_PAGE_SIZE),
        **({"cursor": prices_cursor} if prices_cursor else {}),
    }
    products_query = {
        "status": "ACTIVE",
        "limit": str(PRODUCT_PICKER_SIZE),
        **({"q": product_search} if product_search else {}),
    }
    frame, customer, contacts, addresses, prices, products = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "customers"),
        api(gateway, caller, "GET", path),
        api(gateway, caller, "GET", f"{path}/contacts"),
        api(gateway, caller, "GET", f"{path}/addresses"),
        api(gateway, caller, "GET", PRICES_API, query=urlencode(prices_query)),
        api(gateway, caller, "GET", "/api/v1/products", query=urlencode(products_query)),
    )
    if isinstance(frame, Response):
        return frame
    if not customer.ok:
        raise problem(customer)
    overrides = prices.body.get("items", []) if prices.ok else []
    priced = {item["productId"] for item in overrides}
    next_prices = prices.body.get("nextCursor") if prices.ok else None
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
        "overrides": overrides,
        "prices_error": None if prices.ok else prices.detail,
        "prices_first_page": prices_cursor is None,
        "prices_next_url": f"{_page_of(customer_id)}?{urlencode({'prices_cursor': next_prices})}#prices"
        if next_prices
        else None,
        # Products the customer already has its own price for are changed in their row, not added again.
        "price_products": [item for item in products.body.get("items", []) if item["id"] not in priced]
        if products.ok
        else [],
        "price_products_error": None if products.ok else products.detail,
        "product_search": product_search,
        "price_form": price_form or FormState(open=bool(product_search)),
        "price_edit": price_edit or FormState(),
        "error": error,
    }
    return render(request, "customer_detail.html", context, status_code=status_code)
