"""The addresses of a customer's dashboard page: add, edit (on its own page), make default, delete."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web.addresses import ADDRESS_FORM_FIELDS, address_form_body, address_form_input, address_form_values
from gateway.web.client import ApiResult, PageClient, id_or_404, problem
from gateway.web.dashboard.customers import Row, customer_path, page_of, refused_page, row_change
from gateway.web.dashboard.frame import dashboard_frame, staff_client
from gateway.web.forms import FormState, banner, go, page_status, submit, verified_form
from gateway.web.rendering import flash_messages, render
from kit.errors import NotFound

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "address-added": ("success", "Address added."),
        "address-saved": ("success", "Address saved."),
        "address-default": ("success", "Default address changed."),
        "address-deleted": ("success", "Address deleted."),
    }
)

# API field → form field, for the API's errors: the address fields and the "make it the default" box.
ADDRESS_FIELDS = ADDRESS_FORM_FIELDS | {"isDefault": "is_default"}


def _address_values(form: dict[str, str]) -> dict[str, str]:
    values = address_form_input(form)
    values["is_default"] = "on" if form.get("is_default") else ""
    return values


def _address_body(values: dict[str, str], *, include_default: bool) -> dict[str, Any]:
    body = address_form_body(values)
    if include_default:
        body["isDefault"] = bool(values["is_default"])
    return body


@router.post("/dashboard/customers/{customer_id}/addresses")
async def add_address(request: Request, customer_id: str) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    customer_id = id_or_404(customer_id, "customer")
    values = _address_values(form)

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        state = FormState(values, errors, open=True)
        return await refused_page(request, client, customer_id, result, errors, address_form=state)

    return await submit(
        client,
        "POST",
        f"{customer_path(customer_id)}/addresses",
        _address_body(values, include_default=True),
        fields=ADDRESS_FIELDS,
        success=go(page_of(customer_id, "addresses"), "address-added"),
        refused=refused,
    )


@router.post("/dashboard/customers/{customer_id}/addresses/{address_id}/default")
async def make_default_address(request: Request, customer_id: str, address_id: str) -> Response:
    row = Row("addresses", address_id, "address")
    return await row_change(request, customer_id, row, "PATCH", "address-default", body={"isDefault": True})


@router.post("/dashboard/customers/{customer_id}/addresses/{address_id}/delete")
async def delete_address(request: Request, customer_id: str, address_id: str) -> Response:
    return await row_change(request, customer_id, Row("addresses", address_id, "address"), "DELETE", "address-deleted")


@router.get("/dashboard/customers/{customer_id}/addresses/{address_id}")
async def address_page(request: Request, customer_id: str, address_id: str) -> Response:
    client = await staff_client(request)
    customer_id, address_id = id_or_404(customer_id, "customer"), id_or_404(address_id, "address")
    return await _address_page(request, client, customer_id, address_id, None)


@router.post("/dashboard/customers/{customer_id}/addresses/{address_id}")
async def save_address(request: Request, customer_id: str, address_id: str) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    customer_id, address_id = id_or_404(customer_id, "customer"), id_or_404(address_id, "address")
    values = _address_values(form)

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        state = FormState(values, errors)
        return await _address_page(request, client, customer_id, address_id, state, result=result)

    return await submit(
        client,
        "PATCH",
        f"{customer_path(customer_id)}/addresses/{address_id}",
        # Unticking "default" is not a change the API takes: another address has to become the default instead.
        _address_body(values, include_default=bool(values["is_default"])),
        fields=ADDRESS_FIELDS,
        success=go(page_of(customer_id, "addresses"), "address-saved"),
        refused=refused,
    )


async def _address_page(
    request: Request,
    client: PageClient,
    customer_id: str,
    address_id: str,
    state: FormState | None,
    *,
    result: ApiResult | None = None,
) -> Response:
    frame, customer, addresses = await asyncio.gather(
        dashboard_frame(request, client, "customers"),
        client.call("GET", customer_path(customer_id)),
        client.call("GET", f"{customer_path(customer_id)}/addresses"),
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
        values = address_form_values(address)
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
