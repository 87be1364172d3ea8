"""The price-override forms a customer's page and a product's page share: set, change and remove a price.

A customer's page picks the product, a product's page picks the customer; the rest is the same call
to /api/v1/price-overrides, the same redirect back and the same re-shown page on a refusal.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Response

from gateway.pipeline import Caller, Gateway
from gateway.web.calls import ApiResult, FormState, api, redirect
from gateway.web.rendering import flash

PRICES_API = "/api/v1/price-overrides"

# Shows the page again after a refusal: the API's answer, the field errors and the forms to re-show.
Refused = Callable[[ApiResult, dict[str, str], dict[str, FormState]], Awaitable[Response]]


@dataclass(frozen=True)
class PriceForms:
    """One page's price forms: whose page it is (`fixed` field of the override) and what its form picks."""

    fixed: str  # "customerId" on a customer's page, "productId" on a product's
    picked: str  # the other one
    fields: dict[str, str]  # API field → form field of the "set a price" form
    back_to: str  # the page's prices section
    refused: Refused

    async def set(self, gateway: Gateway, caller: Caller, owner_id: str, form: dict[str, str]) -> Response:
        values = {name: form.get(name, "") for name in self.fields.values()}
        body = {
            self.fixed: owner_id,
            self.picked: values[self.fields[self.picked]],
            "unitPrice": values[self.fields["unitPrice"]],
        }
        result = await api(gateway, caller, "POST", PRICES_API, json_body=body)
        if result.ok:
            return self._done("price-set")
        errors = result.field_errors(self.fields)
        return await self.refused(result, errors, {"price_form": FormState(values, errors, open=True)})

    async def change(self, gateway: Gateway, caller: Caller, override_id: str, form: dict[str, str]) -> Response:
        unit_price = form.get("unit_price", "")
        result = await api(gateway, caller, "PATCH", f"{PRICES_API}/{override_id}", json_body={"unitPrice": unit_price})
        if result.ok:
            return self._done("price-changed")
        errors = result.field_errors({"unitPrice": "unit_price"})
        state = FormState({"override_id": override_id, "unit_price": unit_price}, errors)
        return await self.refused(result, errors, {"price_edit": state})

    async def remove(self, gateway: Gateway, caller: Caller, override_id: str) -> Response:
        result = await api(gateway, caller, "DELETE", f"{PRICES_API}/{override_id}")
        if result.ok:
            return self._done("price-removed")
        return await self.refused(result, {}, {})

    def _done(self, code: str) -> Response:
        response = redirect(self.back_to)
        flash(response, code)
        return response
