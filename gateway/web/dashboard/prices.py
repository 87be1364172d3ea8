"""The prices panel a customer's page and a product's page share: its routes (set, change and remove a
price), its forms and its context (the page's overrides and what the "set a price" form offers).

A customer's page picks the product, a product's page picks the customer; the rest is the same call
to /api/v1/price-overrides, the same redirect back, the same re-shown page on a refusal and the same
templates/_price_panel.html.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, PageClient, id_or_404
from gateway.web.dashboard.frame import staff_client
from gateway.web.forms import FormState, go, submit, verified_form
from gateway.web.rendering import flash_messages

flash_messages(
    {
        "price-set": ("success", "Price set. The customer and all its contacts pay it from now on."),
        "price-changed": ("success", "Price changed."),
        "price-removed": ("success", "Price removed. The customer pays the list price again."),
    }
)

PRICES_API = "/api/v1/price-overrides"
PRICES_PAGE_SIZE = 50
# The API's largest page: the "set a price" picker offers this many products or customers, a search box the rest.
PICKER_SIZE = 200

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


def price_routes(
    router: APIRouter,
    page: str,
    kind: str,
    forms: Callable[[Request, PageClient, str], PriceForms],
) -> None:
    """Adds the set, change and remove routes under `page`, a path ending in `{owner_id}` (a `kind`, for 404s)."""

    @router.post(f"{page}/prices")
    async def set_price(request: Request, owner_id: str) -> Response:
        form = await verified_form(request)
        client = await staff_client(request)
        owner_id = id_or_404(owner_id, kind)
        return await forms(request, client, owner_id).set(owner_id, form)

    @router.post(f"{page}/prices/{{override_id}}")
    async def change_price(request: Request, owner_id: str, override_id: str) -> Response:
        form = await verified_form(request)
        client = await staff_client(request)
        owner_id, override_id = id_or_404(owner_id, kind), id_or_404(override_id, "price")
        return await forms(request, client, owner_id).change(override_id, form)

    @router.post(f"{page}/prices/{{override_id}}/remove")
    async def remove_price(request: Request, owner_id: str, override_id: str) -> Response:
        await verified_form(request)
        client = await staff_client(request)
        owner_id, override_id = id_or_404(owner_id, kind), id_or_404(override_id, "price")
        return await forms(request, client, owner_id).remove(override_id)


# -- the prices panel of a page -----------------------------------------------------------------


def prices_query(request: Request, fixed: str, owner_id: str) -> str:
    """The query of the page's overrides: `fixed` (customerId or productId) is the owner, one page at a time."""
    cursor = request.query_params.get("prices_cursor")
    return urlencode({fixed: owner_id, "limit": str(PRICES_PAGE_SIZE), **({"cursor": cursor} if cursor else {})})


def picker_query(search: str, **query: str) -> str:
    """The query of what the "set a price" form offers: `query`, narrowed by the picker's search."""
    return urlencode({**query, "limit": str(PICKER_SIZE), **({"q": search} if search else {})})


def prices_panel(
    request: Request,
    page: str,
    picked: str,
    search: str,
    prices: ApiResult,
    choices: ApiResult,
    *,
    price_form: FormState | None,
    price_edit: FormState | None,
) -> dict[str, Any]:
    """The context of the _price_panel.html panel: the overrides of `page` (one page of them) and the `choices`
    (products or customers, matching `search`) that have no override yet, by their `picked` id."""
    overrides = prices.body.get("items", []) if prices.ok else []
    priced = {item[picked] for item in overrides}
    next_cursor = prices.body.get("nextCursor") if prices.ok else None
    return {
        "overrides": overrides,
        "prices_error": None if prices.ok else prices.detail,
        "prices_first_page": request.query_params.get("prices_cursor") is None,
        "prices_next_url": f"{page}?{urlencode({'prices_cursor': next_cursor})}#prices" if next_cursor else None,
        # Those that already have their own price here are changed in their row, not added again.
        "price_choices": [item for item in choices.body.get("items", []) if item["id"] not in priced]
        if choices.ok
        else [],
        "price_choices_error": None if choices.ok else choices.detail,
        "price_search": search,
        "price_form": price_form or FormState(open=bool(search)),
        "price_edit": price_edit or FormState(),
    }
