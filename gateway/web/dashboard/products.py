"""Dashboard pages for the catalog: products with search and filters, one product with its customers' prices,
and the CSV import and export."""

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from gateway.web.client import ApiResult, PageClient, id_or_404, problem
from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.dashboard.prices import (
    PRICES_API,
    PriceForms,
    Refused,
    picker_query,
    price_routes,
    prices_panel,
    prices_query,
)
from gateway.web.forms import FormState, banner, go, page_status, show_again, submit, verified_form
from gateway.web.rendering import flash_messages, render
from gateway.web.vocabulary import PRODUCT_STATUSES

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "product-created": ("success", "Product added."),
        "product-saved": ("success", "Product saved."),
        "product-archived": ("success", "Product archived. It is off your storefront and frees a place in your plan."),
        "product-restored": ("success", "Product restored. It is back on your storefront."),
        "product-deleted": ("success", "Product deleted, with its customers' prices."),
    }
)

PRODUCTS_API = "/api/v1/products"
PRODUCTS_PAGE_SIZE = 25
# The API refuses files over 20 MB; reading one byte more lets it say so without the gateway holding more.
IMPORT_READ_LIMIT = 20 * 1024 * 1024 + 1

# API field → form field. The form's names double as the inputs' ids.
PRODUCT_FIELDS = {
    "sku": "sku",
    "name": "name",
    "description": "description",
    "unitPrice": "unit_price",
    "unitOfSale": "unit_of_sale",
    "status": "status",
    "category": "category",
    "imageUrl": "image_url",
}
PRICE_FIELDS = {"customerId": "price_customer_id", "unitPrice": "price_unit_price"}


def _product_path(product_id: str) -> str:
    return f"{PRODUCTS_API}/{product_id}"


def _page_of(product_id: str, section: str = "") -> str:
    return f"/dashboard/products/{product_id}" + (f"#{section}" if section else "")


def _product_values(form: dict[str, str]) -> dict[str, str]:
    return {name: form.get(name, "") for name in PRODUCT_FIELDS.values()}


def _product_body(values: dict[str, str], *, creating: bool) -> dict[str, str]:
    # A status change of an existing product is its own action (archive, restore), never a side effect of Save.
    return {api_name: values[name] for api_name, name in PRODUCT_FIELDS.items() if creating or api_name != "status"}


def _values_of(product: dict[str, Any]) -> dict[str, str]:
    return {name: str(product.get(api_name) or "") for api_name, name in PRODUCT_FIELDS.items()}


# -- the list, with import and export ----------------------------------------------------------


nav_entry(NavEntry("products", "Products", "/dashboard/products", 20, needs=("GET", PRODUCTS_API)))


@router.get("/dashboard/products")
async def products_page(request: Request) -> Response:
    client = await staff_client(request)
    return await _list_page(request, client)


async def _list_page(
    request: Request,
    client: PageClient,
    *,
    imported: dict[str, Any] | None = None,
    import_refused: ApiResult | None = None,
) -> Response:
    params = request.query_params
    search = params.get("q", "").strip()
    status = params.get("status", "")
    status = status if status in PRODUCT_STATUSES else ""
    category = params.get("category", "").strip()
    cursor = params.get("cursor")
    filters = {key: value for key, value in (("q", search), ("status", status), ("category", category)) if value}
    query = {"limit": str(PRODUCTS_PAGE_SIZE), **filters, **({"cursor": cursor} if cursor else {})}
    frame, page = await asyncio.gather(
        dashboard_frame(request, client, "products"),
        client.call("GET", PRODUCTS_API, query=urlencode(query)),
    )
    if isinstance(frame, Response):
        return frame
    products = page.body.get("items", []) if page.ok else []
    next_cursor = page.body.get("nextCursor") if page.ok else None
    # The staff API has no category list; the filter suggests this page's categories (any may be typed).
    row_errors = _row_errors(import_refused) if import_refused is not None else []
    categories = sorted({str(item["category"]) for item in products if item.get("category")} | ({category} - {""}))
    context = {
        **frame,
        "products": products,
        "search": search,
        "status_filter": status,
        "category_filter": category,
        "categories": categories,
        "statuses": PRODUCT_STATUSES,
        "filtering": bool(filters),
        "first_page": cursor is None,
        "newest_url": "/dashboard/products" + (f"?{urlencode(filters)}" if filters else ""),
        "next_url": f"/dashboard/products?{urlencode({**filters, 'cursor': next_cursor})}" if next_cursor else None,
        "list_error": None if page.ok else page.detail,
        "imported": imported,
        "import_errors": row_errors,
        # Problems by line are listed on their own; any other refusal (too big, not UTF-8, the plan) is the banner.
        "error": import_refused.detail if import_refused is not None and not row_errors else None,
    }
    answered = import_refused if import_refused is not None else page
    status_code = 200 if answered.ok else page_status(answered.status)
    response = render(request, "products.html", context, status_code=status_code)
    if imported is not None or import_refused is not None:
        # The answer to an upload: reloading it must not send the file again.
        response.headers["Cache-Control"] = "no-store"
    return response


def _row_errors(result: ApiResult) -> list[dict[str, Any]]:
    """An import's refusal of the file's contents, one entry per problem: its line, field and message."""
    items = result.body.get("errors") if isinstance(result.body, dict) else None
    return [
        {"line": item["line"], "field": str(item.get("field", "")), "message": str(item.get("message", ""))}
        for item in items or []
        if isinstance(item, dict) and isinstance(item.get("line"), int)
    ]


@router.post("/dashboard/products/import")
async def import_products(request: Request) -> Response:
    await verified_form(request)
    client = await staff_client(request)
    # The form is parsed once and kept by the request: this is the same form verified_form checked.
    upload = (await request.form()).get("file")
    data = await upload.read(IMPORT_READ_LIMIT) if isinstance(upload, UploadFile) else b""
    result = await client.upload(f"{PRODUCTS_API}/import", data, content_type="text/csv; charset=utf-8")
    if result.ok:
        return await _list_page(request, client, imported=result.body)
    return await _list_page(request, client, import_refused=result)


@router.get("/dashboard/products/export")
async def export_products(request: Request) -> Response:
    client = await staff_client(request)
    # Streamed as the catalog streams it: a large catalog is never held in the gateway.
    return await client.download(
        f"{PRODUCTS_API}/export", accept="text/csv", media_type="text/csv; charset=utf-8", filename="products.csv"
    )


# -- a new product ------------------------------------------------------------------------------


@router.get("/dashboard/products/new")
async def new_product_page(request: Request) -> Response:
    client = await staff_client(request)
    return await _new_page(request, client, FormState({"unit_of_sale": "each", "status": "ACTIVE"}))


@router.post("/dashboard/products")
async def create_product(request: Request) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    values = _product_values(form)

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await _new_page(request, client, FormState(values, errors), refused=result)

    return await submit(
        client,
        "POST",
        PRODUCTS_API,
        _product_body(values, creating=True),
        fields=PRODUCT_FIELDS,
        success=go(lambda result: _page_of(str(result.body["id"])), "product-created"),
        refused=refused,
    )


async def _new_page(
    request: Request, client: PageClient, form: FormState, *, refused: ApiResult | None = None
) -> Response:
    frame, company = await asyncio.gather(
        dashboard_frame(request, client, "products"), client.call("GET", "/api/v1/company")
    )
    if isinstance(frame, Response):
        return frame
    context = {
        **frame,
        "form": form,
        "currency": company.body.get("currency", "") if company.ok else "",
        "statuses": PRODUCT_STATUSES,
        "error": banner(refused, form.errors) if refused is not None else None,
    }
    status_code = page_status(refused.status) if refused is not None else 200
    return render(request, "product_new.html", context, status_code=status_code)


# -- one product --------------------------------------------------------------------------------


@router.get("/dashboard/products/{product_id}")
async def product_page(request: Request, product_id: str) -> Response:
    client = await staff_client(request)
    return await _product_page(request, client, id_or_404(product_id, "product"))


@router.post("/dashboard/products/{product_id}")
async def save_product(request: Request, product_id: str) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    product_id = id_or_404(product_id, "product")
    values = _product_values(form)

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await _refused(request, client, product_id)(result, errors, {"details": FormState(values, errors)})

    return await submit(
        client,
        "PATCH",
        _product_path(product_id),
        _product_body(values, creating=False),
        fields=PRODUCT_FIELDS,
        success=go(_page_of(product_id), "product-saved"),
        refused=refused,
    )


@router.post("/dashboard/products/{product_id}/archive")
async def archive_product(request: Request, product_id: str) -> Response:
    return await _product_action(request, product_id, "POST", "/archive", _page_of, "product-archived")


@router.post("/dashboard/products/{product_id}/restore")
async def restore_product(request: Request, product_id: str) -> Response:
    return await _product_action(request, product_id, "POST", "/restore", _page_of, "product-restored")


@router.post("/dashboard/products/{product_id}/delete")
async def delete_product(request: Request, product_id: str) -> Response:
    return await _product_action(request, product_id, "DELETE", "", lambda _: "/dashboard/products", "product-deleted")


async def _product_action(
    request: Request, product_id: str, method: str, action: str, back_to: Callable[[str], str], message: str
) -> Response:
    """A one-button change of the product (archive, restore, delete): a refusal re-shows its page."""
    await verified_form(request)
    client = await staff_client(request)
    product_id = id_or_404(product_id, "product")

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await _refused(request, client, product_id)(result, {}, {})

    path = f"{_product_path(product_id)}{action}"
    return await submit(client, method, path, success=go(back_to(product_id), message), refused=refused)


# -- the product's prices per customer ----------------------------------------------------------


def _price_forms(request: Request, client: PageClient, product_id: str) -> PriceForms:
    return PriceForms(
        client=client,
        fixed="productId",
        picked="customerId",
        fields=PRICE_FIELDS,
        back_to=_page_of(product_id, "prices"),
        refused=_refused(request, client, product_id),
    )


price_routes(router, "/dashboard/products/{owner_id}", "product", _price_forms)


# -- rendering one product ----------------------------------------------------------------------


def _refused(request: Request, client: PageClient, product_id: str) -> Refused:
    """Shows the product's page again after a refused change: the banner, the forms' input and field errors."""

    async def refused(result: ApiResult, errors: dict[str, str], forms: dict[str, FormState]) -> Response:
        if result.status == 404 and not forms:
            # The product (or the price acted on) is gone or never was this company's: nothing to show again.
            raise problem(result)
        return await show_again(partial(_product_page, request, client, product_id), result, errors, forms)

    return refused


async def _product_page(
    request: Request,
    client: PageClient,
    product_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    details: FormState | None = None,
    price_form: FormState | None = None,
    price_edit: FormState | None = None,
) -> Response:
    customer_search = request.query_params.get("customer_q", "").strip()
    frame, product, prices, customers = await asyncio.gather(
        dashboard_frame(request, client, "products"),
        client.call("GET", _product_path(product_id)),
        client.call("GET", PRICES_API, query=prices_query(request, "productId", product_id)),
        client.call("GET", "/api/v1/customers", query=picker_query(customer_search)),
    )
    if isinstance(frame, Response):
        return frame
    if not product.ok:
        raise problem(product)
    context = {
        **frame,
        "product": product.body,
        "details": details or FormState(_values_of(product.body)),
        **prices_panel(
            request,
            _page_of(product_id),
            "customerId",
            customer_search,
            prices,
            customers,
            price_form=price_form,
            price_edit=price_edit,
        ),
        "error": error,
    }
    return render(request, "product_detail.html", context, status_code=status_code)
