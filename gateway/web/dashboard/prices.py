"""The price-override forms a customer's page and a product's page share: set, change and remove a price.

A customer's page picks the product, a product's page picks the customer; the rest is the same call
to /api/v1/price-overrides, the same redirect back and the same re-shown page on a refusal.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Response

from gateway.web.client import ApiResult, PageClient
from gateway.web.forms import FormState, go, submit
from gateway.web.rendering import flash_messages

flash_messages(
    {
        "price-set": ("success", "Price set. The customer and all its contacts pay it from now on."),
        "price-changed": ("success", "Price changed."),
        "price-removed": ("success", "Price removed. The customer pays the list price again."),
    }
)

PRICES_API = "/api/v1/price-overrides"

# Shows the page again after a refusal: the API's answer, the field errors and the forms to re-show.
Refused = Callable[[ApiResult, dict[str, str], dict[str, FormState]], Awaitable[Response]]


@dataclass(frozen=True)
class PriceForms:
    """One page's price forms: whose page it is (`fixed` field of the override) and what its form picks."""

    client: PageClient
    fixed: str  # "customerId" on a customer's page, "productId" on a product's
    picked: str  # the other one
    fields: dict[str, str]  # API field → form field of the "set a price" form
    back_to: str  # the page's prices section
    refused: Refused

    async def set(self, owner_id: str, form: dict[str, str]) -> Response:
        values = {name: form.get(name, "") for name in self.fields.values()}
        body = {
            self.fixed: owner_id,
            self.picked: values[self.fields[self.picked]],
            "unitPrice": values[self.fields["unitPrice"]],
        }

        async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
            return await self.refused(result, errors, {"price_form": FormState(values, errors, open=True)})

        success = go(self.back_to, "price-set")
        return await submit(self.client, "POST", PRICES_API, body, fields=self.fields, success=success, refused=refused)

    async def change(self, override_id: str, form: dict[str, str]) -> Response:
        unit_price = form.get("unit_price", "")

        async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
            state = FormState({"override_id": override_id, "unit_price": unit_price}, errors)
            return await self.refused(result, errors, {"price_edit": state})

        return await submit(
            self.client,
            "PATCH",
            f"{PRICES_API}/{override_id}",
            {"unitPrice": unit_price},
            fields={"unitPrice": "unit_price"},
            success=go(self.back_to, "price-changed"),
            refused=refused,
        )

    async def remove(self, override_id: str) -> Response:
        async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
            return await self.refused(result, {}, {})

        success = go(self.back_to, "price-removed")
        return await submit(self.client, "DELETE", f"{PRICES_API}/{override_id}", success=success, refused=refused)
