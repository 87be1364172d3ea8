"""The Contacts panel of a customer's dashboard page: add a contact, change a role, remove one."""

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, id_or_404
from gateway.web.dashboard.customers import Row, customer_path, page_of, refused_page, row_change
from gateway.web.dashboard.frame import staff_client
from gateway.web.forms import FormState, go, submit, verified_form
from gateway.web.rendering import flash_messages

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "contact-added": ("success", "Contact added. Send them the setup-password link so they can sign in."),
        "contact-role-changed": ("success", "Role changed. It applies on the contact's next request."),
        "contact-removed": ("success", "Contact removed. They can no longer sign in."),
    }
)

CONTACT_FIELDS = {"email": "contact_email", "name": "contact_name", "role": "contact_role"}


@router.post("/dashboard/customers/{customer_id}/contacts")
async def add_contact(request: Request, customer_id: str) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    customer_id = id_or_404(customer_id, "customer")
    values = {name: form.get(name, "") for name in CONTACT_FIELDS.values()}
    body = {"email": values["contact_email"], "name": values["contact_name"], "role": values["contact_role"]}

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        state = FormState(values, errors, open=True)
        return await refused_page(request, client, customer_id, result, errors, contact_form=state)

    return await submit(
        client,
        "POST",
        f"{customer_path(customer_id)}/contacts",
        body,
        fields=CONTACT_FIELDS,
        success=go(page_of(customer_id, "contacts"), "contact-added"),
        refused=refused,
    )


@router.post("/dashboard/customers/{customer_id}/contacts/{contact_id}/role")
async def change_contact_role(request: Request, customer_id: str, contact_id: str) -> Response:
    row = Row("contacts", contact_id, "contact")
    return await row_change(request, customer_id, row, "PATCH", "contact-role-changed", field="role")


@router.post("/dashboard/customers/{customer_id}/contacts/{contact_id}/remove")
async def remove_contact(request: Request, customer_id: str, contact_id: str) -> Response:
    return await row_change(request, customer_id, Row("contacts", contact_id, "contact"), "DELETE", "contact-removed")
