"""Dashboard pages for orders: the list with its filters and CSV export, one order with its status steps and its
documents (invoice, packing list), and a new order (internal, or for a customer at that customer's prices) built
up line by line in server round trips."""

import asyncio
import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.addresses import ADDRESS_FORM_FIELDS, address_form_body, address_form_input
from gateway.web.client import ApiResult, PageClient, id_or_404, problem, sentence
from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.dashboard.prices import PICKER_SIZE, PRICES_API, picker_query
from gateway.web.forms import FORM_KEY, FormState, banner, go, page_status, show_again, submit, verified_form
from gateway.web.rendering import flash_messages, render
from gateway.web.vocabulary import CANCELLABLE_ORDER_STATUSES, NEXT_ORDER_STATUS, ORDER_STATUSES

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "order-placed": ("success", "Order placed."),
        "order-confirmed": ("success", "Order confirmed."),
        "order-shipped": ("success", "Order marked shipped."),
        "order-delivered": ("success", "Order marked delivered."),
        "order-cancelled": ("success", "Order cancelled."),
    }
)

ORDERS_API = "/api/v1/orders"
ORDERS_PAGE = "/dashboard/orders"
ORDERS_PAGE_SIZE = 25
# How many of a customer's latest orders its page lists, with a link to all of them.
RECENT_ORDERS = 5
MAX_QUANTITY = 1_000_000

# A step forward: its button's words and the flash message once taken.
STATUS_STEPS = {
    "CONFIRMED": ("Mark confirmed", "order-confirmed"),
    "SHIPPED": ("Mark shipped", "order-shipped"),
    "DELIVERED": ("Mark delivered", "order-delivered"),
}

# API field → form field of the new-order page (the lines' and the inline address's are mapped on their own).
ORDER_FIELDS = {
    "customerId": "customer_id",
    "shippingAddressId": "shipping",
    "shippingAddress": "shipping",
    "poNumber": "po_number",
    "notes": "notes",
    "requestedDeliveryDate": "requested_delivery_date",
}
INLINE_ADDRESS_FIELDS = {f"shippingAddress.{api_name}": name for api_name, name in ADDRESS_FORM_FIELDS.items()}
# A line's error: `items[3].productId` (the service's rules) or `items.3.quantity` (the request's validation).
_LINE_ERROR = re.compile(r"^items(?:\[(\d+)\]|\.(\d+))(?:\.\w+)?$")

nav_entry(NavEntry("orders", "Orders", ORDERS_PAGE, 5, needs=("GET", ORDERS_API)))


def order_page(order_id: str, section: str = "") -> str:
    return f"{ORDERS_PAGE}/{order_id}" + (f"#{section}" if section else "")


def customer_orders_url(customer_id: str) -> str:
    """The orders list filtered to one customer's orders."""
    return f"{ORDERS_PAGE}?{urlencode({'customer': customer_id})}"


def recent_orders_query(customer_id: str) -> str:
    return urlencode({"customerId": customer_id, "limit": str(RECENT_ORDERS)})


# -- the list, with its filters and export ------------------------------------------------------------


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""


@dataclass(frozen=True)
class OrderFilters:
    """The list's filters as the page's query has them; what cannot be read as a filter is left out."""

    status: str = ""
    customer_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, params: Mapping[str, str]) -> "OrderFilters":
        status = params.get("status", "")
        typed = {name: params.get(name, "").strip() for name in ("from", "to")}
        dates = {name: _date(value) for name, value in typed.items()}
        errors = {
            name: "Enter a date like 2026-03-31." for name, value in typed.items() if value and dates[name] is None
        }
        return cls(
            status=status if status in ORDER_STATUSES else "",
            customer_id=_uuid(params.get("customer", "")),
            date_from=dates["from"],
            date_to=dates["to"],
            search=params.get("q", "").strip()[:200],
            errors=errors,
        )

    def page_query(self) -> dict[str, str]:
        """The page's own query for these filters (its pager's and its export's links)."""
        query = {
            "status": self.status,
            "customer": self.customer_id,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "q": self.search,
        }
        return {name: value for name, value in query.items() if value}

    def api_query(self) -> dict[str, str]:
        """The API's query: the days from the start of the first to the end of the last (UTC), sent as times
        (`to` is exclusive as a time: the next day's start)."""
        until = self.date_to + dt.timedelta(days=1) if self.date_to else None
        query = {
            "status": self.status,
            "customerId": self.customer_id,
            "from": f"{self.date_from.isoformat()}T00:00:00Z" if self.date_from else "",
            "to": f"{until.isoformat()}T00:00:00Z" if until else "",
            "q": self.search,
        }
        return {name: value for name, value in query.items() if value}


@router.get(ORDERS_PAGE)
async def orders_page(request: Request) -> Response:
    client = await staff_client(request)
    filters = OrderFilters.of(request.query_params)
    cursor = request.query_params.get("cursor")
    query = {"limit": str(ORDERS_PAGE_SIZE), **filters.api_query(), **({"cursor": cursor} if cursor else {})}
    frame, page, customers = await asyncio.gather(
        dashboard_frame(request, client, "orders"),
        client.call("GET", ORDERS_API, query=urlencode(query)),
        client.call("GET", "/api/v1/customers", query=urlencode({"limit": str(PICKER_SIZE)})),
    )
    if isinstance(frame, Response):
        return frame
    orders = page.body.get("items", []) if page.ok else []
    next_cursor = page.body.get("nextCursor") if page.ok else None
    shown = filters.page_query()
    choices = [(item["id"], item["name"]) for item in customers.body.get("items", [])] if customers.ok else []
    if filters.customer_id and all(choice[0] != filters.customer_id for choice in choices):
        # A customer beyond the picker's first page (a link from its page): named by its orders when it has any.
        named = next(
            (order["customerName"] for order in orders if order.get("customerId") == filters.customer_id), None
        )
        choices.append((filters.customer_id, named or "The chosen customer"))
    context = {
        **frame,
        "orders": orders,
        "filters": filters,
        "statuses": ORDER_STATUSES,
        "customer_choices": choices,
        "filtering": bool(shown),
        "first_page": cursor is None,
        "newest_url": ORDERS_PAGE + (f"?{urlencode(shown)}" if shown else ""),
        "next_url": f"{ORDERS_PAGE}?{urlencode({**shown, 'cursor': next_cursor})}" if next_cursor else None,
        "export_url": f"{ORDERS_PAGE}/export" + (f"?{urlencode(shown)}" if shown else ""),
        "list_error": None if page.ok else page.detail,
    }
    return render(request, "orders.html", context, status_code=200 if page.ok else page_status(page.status))


@router.get(f"{ORDERS_PAGE}/export")
async def export_orders(request: Request) -> Response:
    client = await staff_client(request)
    query = OrderFilters.of(request.query_params).api_query()
    # Streamed as the orders service streams it: a long history is never held in the gateway.
    return await client.download(
        f"{ORDERS_API}/export",
        query=urlencode(query),
        accept="text/csv",
        media_type="text/csv; charset=utf-8",
        filename="orders.csv",
    )


# -- a new order -------------------------------------------------------------------------------------


@dataclass
class DraftLine:
    product_id: str
    quantity: str


@dataclass
class Draft:
    """A new order as the page carries it between round trips: the customer, the lines, the shipping and the rest."""

    customer_id: str = ""
    lines: list[DraftLine] = field(default_factory=list)
    shipping: str = ""  # an address id of the customer's, "new" (typed below) or "none"
    values: dict[str, str] = field(default_factory=dict)  # the other fields as typed, the inline address's too
    errors: dict[str, str] = field(default_factory=dict)
    line_errors: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, form: Mapping[str, str]) -> "Draft":
        lines: list[DraftLine] = []
        index = 0
        while f"line_product_{index}" in form:
            product_id = _uuid(form[f"line_product_{index}"])
            if product_id:
                lines.append(DraftLine(product_id, form.get(f"line_quantity_{index}", "").strip()))
            index += 1
        typed = ("customer_q", "product_q", "product_id", "quantity", "po_number", "notes", "requested_delivery_date")
        values = {name: form.get(name, "") for name in typed} | address_form_input(form)
        return cls(
            customer_id=_uuid(form.get("customer_id", "")),
            lines=lines,
            shipping=form.get("shipping", ""),
            values=values,
        )

    def add_line(self) -> None:
        """The picked product at the typed quantity; a product already on the order gets the quantity added."""
        product_id = _uuid(self.values.get("product_id", ""))
        quantity = _quantity(self.values.get("quantity", ""))
        if not product_id:
            self.errors["product_id"] = "Choose a product to add."
        if quantity is None:
            self.errors["quantity"] = f"Enter a whole number from 1 to {MAX_QUANTITY:,}."
        if self.errors:
            return
        assert quantity is not None
        for line in self.lines:
            if line.product_id == product_id:
                line.quantity = str((_quantity(line.quantity) or 0) + quantity)
                break
        else:
            self.lines.append(DraftLine(product_id, str(quantity)))
        self.values["product_id"] = ""
        self.values["quantity"] = "1"

    def body(self) -> dict[str, Any]:
        """The API's new order: only what was given, quantities as numbers when they are."""
        items = [
            {"productId": line.product_id, "quantity": _quantity(line.quantity, bounded=False) or line.quantity}
            for line in self.lines
        ]
        body: dict[str, Any] = {"items": items}
        if self.customer_id:
            body["customerId"] = self.customer_id
        if self.shipping == "new":
            address = address_form_body(self.values)
            body["shippingAddress"] = {name: str(value).strip() for name, value in address.items()}
        elif _uuid(self.shipping):
            body["shippingAddressId"] = self.shipping
        for api_name, name in (("poNumber", "po_number"), ("notes", "notes")):
            if self.values.get(name, "").strip():
                body[api_name] = self.values[name].strip()
        if self.values.get("requested_delivery_date"):
            body["requestedDeliveryDate"] = self.values["requested_delivery_date"]
        return body

    def refused(self, result: ApiResult, errors: dict[str, str]) -> None:
        """The API's refusal on the page: its field errors by field, a line's on that line."""
        self.errors.update(errors)
        self.errors.update(result.field_errors(INLINE_ADDRESS_FIELDS))
        items = result.body.get("errors") if isinstance(result.body, dict) else None
        for item in items or []:
            found = _LINE_ERROR.match(str(item.get("field", ""))) if isinstance(item, dict) else None
            index = int(found[1] or found[2]) if found else None
            if index is not None and index not in self.line_errors:
                self.line_errors[index] = sentence(str(item.get("message", ""))) or "This line is not valid."
        if any(name.startswith("shippingAddress.") for name in self.errors):
            self.shipping = "new"


def _quantity(value: str, *, bounded: bool = True) -> int | None:
    try:
        number = int(value.strip())
    except ValueError:
        return None
    if bounded and not 1 <= number <= MAX_QUANTITY:
        return None
    return number


@router.get(f"{ORDERS_PAGE}/new")
async def new_order_page(request: Request) -> Response:
    client = await staff_client(request)
    draft = Draft(customer_id=_uuid(request.query_params.get("customer", "")), values={"quantity": "1"})
    return await _new_page(request, client, draft)


@router.post(f"{ORDERS_PAGE}/new")
async def change_draft(request: Request) -> Response:
    """A round trip of the new-order form: a line added or removed, a customer chosen, a search narrowed."""
    form = await verified_form(request)
    client = await staff_client(request)
    draft = Draft.of(form)
    step = form.get("step", "")
    if step == "add":
        draft.add_line()
    elif step.startswith("remove-") and step[len("remove-") :].isdigit():
        index = int(step[len("remove-") :])
        if index < len(draft.lines):
            del draft.lines[index]
    return await _new_page(request, client, draft)


@router.post(ORDERS_PAGE)
async def place_order(request: Request) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    draft = Draft.of(form)

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        draft.refused(result, errors)
        return await _new_page(request, client, draft, refused=result)

    if not draft.lines:
        draft.errors["product_id"] = "Add at least one line to the order."
        return await _new_page(request, client, draft, error="Please correct the fields marked below.", status_code=422)
    return await submit(
        client,
        "POST",
        ORDERS_API,
        draft.body(),
        fields=ORDER_FIELDS,
        success=go(lambda result: order_page(str(result.body["id"])), "order-placed"),
        refused=refused,
        form_key=form.get(FORM_KEY),
    )


async def _customer_prices(client: PageClient, customer_id: str, product_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The customer's own prices by product: its first page of them, then each line's not on it, if there are more."""
    if not customer_id:
        return {}
    first = await client.call("GET", PRICES_API, query=urlencode({"customerId": customer_id, "limit": "200"}))
    if not first.ok:
        return {}
    prices = {str(item["productId"]): item for item in first.body.get("items", [])}
    if first.body.get("nextCursor"):
        missing = [product_id for product_id in product_ids if product_id not in prices]
        answers = await asyncio.gather(
            *(
                client.call("GET", PRICES_API, query=urlencode({"customerId": customer_id, "productId": product_id}))
                for product_id in missing
            )
        )
        for answer in answers:
            for item in answer.body.get("items", []) if answer.ok else []:
                prices[str(item["productId"])] = item
    return prices


def _priced_lines(
    draft: Draft, products: list[ApiResult], prices: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """The lines as the page shows them (at the customer's prices now), their total and currency."""
    lines: list[dict[str, Any]] = []
    total = 0
    currency: str | None = None
    complete = True
    for index, (line, answer) in enumerate(zip(draft.lines, products, strict=True)):
        product = answer.body if answer.ok else None
        shown: dict[str, Any] = {"index": index, "productId": line.product_id, "quantity": line.quantity}
        shown["error"] = draft.line_errors.get(index)
        quantity = _quantity(line.quantity)
        if product is None:
            shown["error"] = shown["error"] or "This product no longer exists; remove the line."
            complete = False
        else:
            override = prices.get(line.product_id)
            unit_price = override["unitPrice"] if override else product["unitPrice"]
            currency = currency or product["currency"]
            shown |= {
                "sku": product["sku"],
                "name": product["name"],
                "unitOfSale": product.get("unitOfSale"),
                "archived": product.get("status") != "ACTIVE",
                "unitPrice": unit_price,
                "listPrice": product["unitPrice"],
                "currency": product["currency"],
                "lineTotal": _times(unit_price, quantity) if quantity is not None else None,
            }
            if quantity is None:
                complete = False
            else:
                total += _cents(unit_price) * quantity
        lines.append(shown)
    total_text = f"{total // 100}.{total % 100:02d}" if complete and lines else None
    return lines, total_text, currency


def _cents(amount: str) -> int:
    whole, _, fraction = str(amount).partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def _times(amount: str, quantity: int) -> str:
    cents = _cents(amount) * quantity
    return f"{cents // 100}.{cents % 100:02d}"


async def _no_customer() -> ApiResult:
    return ApiResult(404, None)


async def _new_page(
    request: Request,
    client: PageClient,
    draft: Draft,
    *,
    refused: ApiResult | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    customer_search = draft.values.get("customer_q", "").strip()
    product_search = draft.values.get("product_q", "").strip()
    customer_id = draft.customer_id
    frame, customers, chosen, addresses, products, prices, *line_products = await asyncio.gather(
        dashboard_frame(request, client, "orders"),
        client.call("GET", "/api/v1/customers", query=picker_query(customer_search)),
        client.call("GET", f"/api/v1/customers/{customer_id}") if customer_id else _no_customer(),
        client.call("GET", f"/api/v1/customers/{customer_id}/addresses") if customer_id else _no_customer(),
        client.call("GET", "/api/v1/products", query=picker_query(product_search, status="ACTIVE")),
        _customer_prices(client, customer_id, [line.product_id for line in draft.lines]),
        *(client.call("GET", f"/api/v1/products/{line.product_id}") for line in draft.lines),
    )
    if isinstance(frame, Response):
        return frame
    if customer_id and not chosen.ok:
        # A customer since deleted (or another company's id): the draft goes on as an internal order.
        draft.errors.setdefault("customer_id", "This customer no longer exists; choose another or none.")
        draft.customer_id = customer_id = ""
    customer_list = customers.body.get("items", []) if customers.ok else []
    if chosen.ok and all(item["id"] != customer_id for item in customer_list):
        customer_list = [chosen.body, *customer_list]
    address_list = addresses.body.get("items", []) if addresses.ok and customer_id else []
    known_addresses = {str(item["id"]) for item in address_list}
    if draft.shipping not in known_addresses | {"new", "none"}:
        # The customer's default address first, else none until one is typed.
        default = next(
            (item for item in address_list if item.get("isDefault")), address_list[0] if address_list else None
        )
        draft.shipping = str(default["id"]) if default else ("new" if draft.values.get("line1") else "none")
    lines, total, currency = _priced_lines(draft, list(line_products), prices)
    product_choices = products.body.get("items", []) if products.ok else []
    context = {
        **frame,
        "draft": draft,
        "form": FormState(draft.values, draft.errors),
        "customer": chosen.body if customer_id and chosen.ok else None,
        "customer_choices": customer_list,
        "customer_search": customer_search,
        "addresses": address_list,
        "addresses_error": addresses.detail if customer_id and not addresses.ok else None,
        "product_choices": product_choices,
        "product_search": product_search,
        "products_error": None if products.ok else products.detail,
        "prices": prices,
        "lines": lines,
        "total": total,
        "currency": currency or (product_choices[0]["currency"] if product_choices else None),
        "error": banner(refused, draft.errors) if refused is not None else error,
    }
    if refused is not None:
        status_code = page_status(refused.status)
    return render(request, "order_new.html", context, status_code=status_code)


# -- one order ---------------------------------------------------------------------------------------


@router.get(f"{ORDERS_PAGE}/{{order_id}}")
async def order_detail(request: Request, order_id: str) -> Response:
    client = await staff_client(request)
    return await _order_page(request, client, id_or_404(order_id, "order"))


@router.post(f"{ORDERS_PAGE}/{{order_id}}/status")
async def change_status(request: Request, order_id: str) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    order_id = id_or_404(order_id, "order")
    status = form.get("status", "")
    message = STATUS_STEPS[status][1] if status in STATUS_STEPS else "order-confirmed"
    return await submit(
        client,
        "POST",
        f"{ORDERS_API}/{order_id}/status",
        {"status": status},
        success=go(order_page(order_id, "status"), message),
        refused=partial(_refused, request, client, order_id, FormState()),
    )


@router.post(f"{ORDERS_PAGE}/{{order_id}}/cancel")
async def cancel_order(request: Request, order_id: str) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    order_id = id_or_404(order_id, "order")
    reason = form.get("reason", "").strip()
    state = FormState({"reason": reason}, open=True)
    return await submit(
        client,
        "POST",
        f"{ORDERS_API}/{order_id}/cancel",
        {"reason": reason or None},
        fields={"reason": "reason"},
        success=go(order_page(order_id, "status"), "order-cancelled"),
        refused=partial(_refused, request, client, order_id, state),
    )


async def _refused(
    request: Request,
    client: PageClient,
    order_id: str,
    cancel_form: FormState,
    result: ApiResult,
    errors: dict[str, str],
) -> Response:
    """A refused step (a 409: someone moved the order meanwhile) shown in the order's status section."""
    if result.status == 404:
        raise problem(result)
    cancel_form.errors = errors
    page = partial(_order_page, request, client, order_id)
    return await show_again(page, result, errors, {"cancel_form": cancel_form})


async def _order_page(
    request: Request,
    client: PageClient,
    order_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    cancel_form: FormState | None = None,
) -> Response:
    frame, order, documents = await asyncio.gather(
        dashboard_frame(request, client, "orders"),
        client.call("GET", f"{ORDERS_API}/{order_id}"),
        client.call("GET", f"{ORDERS_API}/{order_id}/documents"),
    )
    if isinstance(frame, Response):
        return frame
    if not order.ok:
        raise problem(order)
    status = order.body["status"]
    following = NEXT_ORDER_STATUS.get(status)
    context = {
        **frame,
        "order": order.body,
        "next_status": following,
        "next_label": STATUS_STEPS[following][0] if following in STATUS_STEPS else None,
        "cancellable": status in CANCELLABLE_ORDER_STATUSES,
        "cancel_form": cancel_form or FormState(),
        # A refusal is shown where the buttons are, not at the top of the page.
        "status_error": error,
        "documents": documents.body.get("items", []) if documents.ok else [],
        "documents_error": None if documents.ok else documents.detail,
    }
    return render(request, "order_detail.html", context, status_code=status_code)
