"""The storefront's pages: landing, the catalog, sign-in, password setup, the signed-in account, its addresses
and contacts."""

import asyncio
import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from contracts.redis import StorefrontEntry
from gateway.pipeline import Caller, Gateway
from gateway.web.calls import ApiResult, api, banner, gateway_of, page_status, problem, redirect, safe_next, signed_in
from gateway.web.rendering import flash, render, verified_form
from kit.errors import NotFound

router = APIRouter(include_in_schema=False)

ROLES = ("ADMIN", "BUYER", "VIEWER")
# A multiple of the grid's 2, 3 and 4 columns.
CATALOG_PAGE_SIZE = 24
LOGIN_FIELDS = {"email": "email", "password": "password"}
SETUP_FIELDS = {"email": "email", "password": "password", "confirmPassword": "confirm_password"}
CONTACT_FIELDS = {"email": "email", "name": "name", "role": "role"}
# Form field → API field of an address; the form's names double as the inputs' ids.
ADDRESS_FIELDS = {
    "label": "label",
    "recipient": "recipient",
    "line1": "line1",
    "line2": "line2",
    "city": "city",
    "region": "region",
    "postal_code": "postalCode",
    "country": "country",
    "phone": "phone",
}


# -- what every storefront page shares -------------------------------------------------------


def store_of(caller: Caller) -> StorefrontEntry:
    # identify(slug=...) resolves the storefront or raises 404, so every page here has one.
    assert caller.storefront is not None
    return caller.storefront


def store_api(caller: Caller, path: str) -> str:
    return f"/store/{store_of(caller).slug}/api{path}"


def store_next(store: StorefrontEntry, value: str | None) -> str:
    """Only this storefront's pages: `next` must never leave it (for another host, or the dashboard)."""
    base = f"/store/{store.slug}/"
    if value and safe_next(value) == value and value.startswith(base) and "/../" not in value and "\\" not in value:
        return value
    return base + "account"


def to_store_login(request: Request, store: StorefrontEntry) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/store/{store.slug}/login?" + urlencode({"next": target}))


def parsed_id(value: str, what: str) -> uuid.UUID:
    # Ids come from the page's own links; anything else is a page that does not exist.
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"There is no such {what}.") from None


def store_banner(result: ApiResult, errors: dict[str, str]) -> str | None:
    # A refusal already explained next to its field is not repeated above the form.
    message = banner(result, errors)
    return None if message in errors.values() else message


def with_retry_after(response: Response, result: ApiResult) -> Response:
    if "Retry-After" in result.headers:
        response.headers["Retry-After"] = result.headers["Retry-After"]
    return response


async def store_frame(gateway: Gateway, caller: Caller) -> dict[str, Any]:
    """What every storefront page shows around its content: the storefront, and who is signed in (or None)."""
    me = None
    if caller.is_storefront_account:
        result = await api(gateway, caller, "GET", store_api(caller, "/me"))
        if result.ok:
            me = result.body
        elif result.status != 401:
            raise problem(result)
    return {"store": store_of(caller), "me": me}


async def account_frame(request: Request, gateway: Gateway, caller: Caller, active: str) -> dict[str, Any] | Response:
    """The frame of a page for signed-in accounts, or the redirect to sign in (also when the account is gone)."""
    frame = await store_frame(gateway, caller)
    if frame["me"] is None:
        return to_store_login(request, store_of(caller))
    return {**frame, "active": active, "is_admin": frame["me"]["role"] == "ADMIN"}


# -- landing and catalog ----------------------------------------------------------------------


@router.get("/store/{slug}")
async def storefront(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    caller = await gateway.identify(request, slug=slug)
    return render(request, "store_landing.html", await store_frame(gateway, caller))


@router.get("/store/{slug}/catalog")
async def catalog(request: Request, slug: str) -> Response:
    """Products on sale; the API decides which prices the caller sees (theirs, the list's, or none for guests)."""
    gateway = gateway_of(request)
    caller = await gateway.identify(request, slug=slug)
    store = store_of(caller)
    params = request.query_params
    search = params.get("q", "").strip()
    category = params.get("category", "").strip()
    cursor = params.get("cursor")
    filters = {key: value for key, value in (("q", search), ("category", category)) if value}
    query = {"limit": str(CATALOG_PAGE_SIZE), **filters, **({"cursor": cursor} if cursor else {})}
    frame, page, categories = await asyncio.gather(
        store_frame(gateway, caller),
        api(gateway, caller, "GET", store_api(caller, "/products"), query=urlencode(query)),
        api(gateway, caller, "GET", store_api(caller, "/categories")),
    )
    if not page.ok:
        raise problem(page)
    products = page.body.get("items", [])
    # Without the category list (the catalog is briefly unavailable), the filter offers this page's categories.
    names = categories.body.get("items", []) if categories.ok else [item["category"] for item in products]
    base = f"/store/{store.slug}/catalog"
    next_cursor = page.body.get("nextCursor")
    context = {
        **frame,
        "products": products,
        "prices_visible": bool(page.body.get("pricesVisible")),
        "search": search,
        "category_filter": category,
        "categories": sorted({name for name in names if name} | ({category} - {""})),
        "filtering": bool(filters),
        "first_url": base + (f"?{urlencode(filters)}" if filters else ""),
        "next_url": f"{base}?{urlencode({**filters, 'cursor': next_cursor})}" if next_cursor else None,
        "first_page": cursor is None,
        "login_url": f"/store/{store.slug}/login?next={base}",
    }
    return render(request, "store_catalog.html", context)


@router.get("/store/{slug}/catalog/{product_id}")
async def catalog_product(request: Request, slug: str, product_id: str) -> Response:
    gateway = gateway_of(request)
    caller = await gateway.identify(request, slug=slug)
    store = store_of(caller)
    path = store_api(caller, f"/products/{parsed_id(product_id, 'product')}")
    frame, product = await asyncio.gather(store_frame(gateway, caller), api(gateway, caller, "GET", path))
    if not product.ok:
        raise problem(product)
    page_path = f"/store/{store.slug}/catalog/{product.body['id']}"
    context = {**frame, "product": product.body, "login_url": f"/store/{store.slug}/login?next={page_path}"}
    return render(request, "store_product.html", context)


# -- sign-in, password setup, sign-out --------------------------------------------------------


@router.get("/store/{slug}/login")
async def login_page(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    caller = await gateway.identify(request, slug=slug)
    store = store_of(caller)
    next_path = store_next(store, request.query_params.get("next"))
    frame = await store_frame(gateway, caller)
    if frame["me"] is not None:
        return redirect(next_path)
    return render(request, "store_login.html", {**frame, "values": {}, "errors": {}, "next": next_path})


@router.post("/store/{slug}/login")
async def login(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    form = await verified_form(request)
    caller = await gateway.identify(request, slug=slug)
    store = store_of(caller)
    next_path = store_next(store, form.get("next"))
    email = form.get("email", "")
    result = await api(
        gateway,
        caller,
        "POST",
        store_api(caller, "/login"),
        json_body={"email": email, "password": form.get("password", "")},
    )
    if result.ok and result.new_session is not None:
        welcome_back = redirect(next_path)
        flash(welcome_back, "signed-in")
        return signed_in(gateway, caller, welcome_back, result.new_session)
    errors = result.field_errors(LOGIN_FIELDS)
    context = {
        **await store_frame(gateway, caller),
        "values": {"email": email},
        "errors": errors,
        "error": store_banner(result, errors),
        "next": next_path,
    }
    response = render(request, "store_login.html", context, status_code=page_status(result.status))
    return with_retry_after(response, result)


@router.get("/store/{slug}/setup-password")
async def setup_password_page(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    caller = await gateway.identify(request, slug=slug)
    frame = await store_frame(gateway, caller)
    return render(request, "store_setup_password.html", {**frame, "values": {}, "errors": {}})


@router.post("/store/{slug}/setup-password")
async def setup_password(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    form = await verified_form(request)
    caller = await gateway.identify(request, slug=slug)
    email = form.get("email", "")
    result = await api(
        gateway,
        caller,
        "POST",
        store_api(caller, "/setup-password"),
        json_body={
            "email": email,
            "password": form.get("password", ""),
            "confirmPassword": form.get("confirm_password", ""),
        },
    )
    if result.ok:
        to_login = redirect(f"/store/{store_of(caller).slug}/login")
        flash(to_login, "store-password-set")
        return to_login
    errors = result.field_errors(SETUP_FIELDS)
    context = {
        **await store_frame(gateway, caller),
        "values": {"email": email},
        "errors": errors,
        "error": store_banner(result, errors),
    }
    response = render(request, "store_setup_password.html", context, status_code=page_status(result.status))
    return with_retry_after(response, result)


@router.post("/store/{slug}/logout")
async def logout(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    await verified_form(request)
    caller = await gateway.identify(request, slug=slug)
    await gateway.end_session(caller)
    response = redirect(f"/store/{store_of(caller).slug}")
    gateway.clear_session_cookie(response, caller)
    flash(response, "signed-out")
    return response


# -- the signed-in account --------------------------------------------------------------------


@router.get("/store/{slug}/account")
async def account(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    caller = await gateway.identify(request, slug=slug)
    frame = await account_frame(request, gateway, caller, "account")
    if isinstance(frame, Response):
        return frame
    return render(request, "store_account.html", frame)


# -- addresses --------------------------------------------------------------------------------


def address_body(form: dict[str, str]) -> dict[str, Any]:
    return {api_name: form.get(name, "") for name, api_name in ADDRESS_FIELDS.items()}


def address_values(address: dict[str, Any]) -> dict[str, str]:
    return {name: address.get(api_name) or "" for name, api_name in ADDRESS_FIELDS.items()}


def address_errors(result: ApiResult) -> dict[str, str]:
    return result.field_errors({api_name: name for name, api_name in ADDRESS_FIELDS.items()})


async def addresses_page(
    request: Request, gateway: Gateway, caller: Caller, extra: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """The address book; a refused change re-shows it with the refusal (and the add form's input, if any)."""
    store = store_of(caller)
    if not caller.is_storefront_account:
        return to_store_login(request, store)
    frame, addresses = await asyncio.gather(
        account_frame(request, gateway, caller, "addresses"),
        api(gateway, caller, "GET", store_api(caller, "/addresses")),
    )
    if isinstance(frame, Response):
        return frame
    if not addresses.ok:
        raise problem(addresses)
    context = {
        **frame,
        "addresses": addresses.body.get("items", []),
        "values": {},
        "errors": {},
        **(extra or {}),
    }
    return render(request, "store_addresses.html", context, status_code=status_code)


@router.get("/store/{slug}/addresses")
async def addresses(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    caller = await gateway.identify(request, slug=slug)
    return await addresses_page(request, gateway, caller)


@router.post("/store/{slug}/addresses")
async def add_address(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    form = await verified_form(request)
    caller = await gateway.identify(request, slug=slug)
    store = store_of(caller)
    if not caller.is_storefront_account:
        return to_store_login(request, store)
    body = {**address_body(form), "isDefault": form.get("is_default") == "on"}
    result = await api(gateway, caller, "POST", store_api(caller, "/addresses"), json_body=body)
    if result.ok:
        response = redirect(f"/store/{store.slug}/addresses")
        flash(response, "store-address-added")
        return response
    errors = address_errors(result)
    values = {name: form.get(name, "") for name in ADDRESS_FIELDS} | {"is_default": form.get("is_default", "")}
    extra = {"values": values, "errors": errors, "error": store_banner(result, errors), "adding": True}
    return await addresses_page(request, gateway, caller, extra, status_code=page_status(result.status))


@router.post("/store/{slug}/addresses/{address_id}/default")
async def make_default_address(request: Request, slug: str, address_id: str) -> Response:
    return await change_address(request, slug, address_id, "PATCH", {"isDefault": True}, "store-address-default")


@router.post("/store/{slug}/addresses/{address_id}/delete")
async def delete_address(request: Request, slug: str, address_id: str) -> Response:
    return await change_address(request, slug, address_id, "DELETE", None, "store-address-deleted")


async def change_address(
    request: Request, slug: str, address_id: str, method: str, body: dict[str, Any] | None, done: str
) -> Response:
    """A one-button change of an address row; a refusal re-shows the address book with it."""
    gateway = gateway_of(request)
    await verified_form(request)
    caller = await gateway.identify(request, slug=slug)
    store = store_of(caller)
    if not caller.is_storefront_account:
        return to_store_login(request, store)
    path = store_api(caller, f"/addresses/{parsed_id(address_id, 'address')}")
    result = await api(gateway, caller, method, path, json_body=body)
    if result.ok:
        response = redirect(f"/store/{store.slug}/addresses")
        flash(response, done)
        return response
    extra = {"error": result.detail}
    return await addresses_page(request, gateway, caller, extra, status_code=page_status(result.status))


async def address_edit_page(
    request: Request,
    gateway: Gateway,
    caller: Caller,
    address_id: uuid.UUID,
    form: dict[str, str] | None = None,
    failed: ApiResult | None = None,
) -> Response:
    store = store_of(caller)
    if not caller.is_storefront_account:
        return to_store_login(request, store)
    frame, addresses = await asyncio.gather(
        account_frame(request, gateway, caller, "addresses"),
        api(gateway, caller, "GET", store_api(caller, "/addresses")),
    )
    if isinstance(frame, Response):
        return frame
    if not addresses.ok:
        raise problem(addresses)
    address = next((item for item in addresses.body.get("items", []) if item["id"] == str(address_id)), None)
    if address is None:
        raise NotFound("There is no such address.")
    values = address_values(address) if form is None else {name: form.get(name, "") for name in ADDRESS_FIELDS}
    context: dict[str, Any] = {**frame, "address": address, "values": values, "errors": {}}
    status_code = 200
    if failed is not None:
        errors = address_errors(failed)
        context |= {"errors": errors, "error": store_banner(failed, errors)}
        status_code = page_status(failed.status)
    return render(request, "store_address_edit.html", context, status_code=status_code)


@router.get("/store/{slug}/addresses/{address_id}/edit")
async def edit_address_page(request: Request, slug: str, address_id: str) -> Response:
    gateway = gateway_of(request)
    caller = await gateway.identify(request, slug=slug)
    return await address_edit_page(request, gateway, caller, parsed_id(address_id, "address"))


@router.post("/store/{slug}/addresses/{address_id}/edit")
async def edit_address(request: Request, slug: str, address_id: str) -> Response:
    gateway = gateway_of(request)
    form = await verified_form(request)
    caller = await gateway.identify(request, slug=slug)
    store = store_of(caller)
    if not caller.is_storefront_account:
        return to_store_login(request, store)
    address_uuid = parsed_id(address_id, "address")
    path = store_api(caller, f"/addresses/{address_uuid}")
    result = await api(gateway, caller, "PATCH", path, json_body=address_body(form))
    if result.ok:
        response = redirect(f"/store/{store.slug}/addresses")
        flash(response, "store-address-saved")
        return response
    return await address_edit_page(request, gateway, caller, address_uuid, form, result)


# -- contacts (admins) ------------------------------------------------------------------------


async def contacts_page(
    request: Request, gateway: Gateway, caller: Caller, extra: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """The account's people; the API decides who may see them (admins), others get its 403 as a page."""
    store = store_of(caller)
    if not caller.is_storefront_account:
        return to_store_login(request, store)
    frame, contacts = await asyncio.gather(
        account_frame(request, gateway, caller, "contacts"), api(gateway, caller, "GET", store_api(caller, "/contacts"))
    )
    if isinstance(frame, Response):
        return frame
    if not contacts.ok:
        if contacts.status == 401:
            return to_store_login(request, store)
        context = {**frame, "status": contacts.status, "detail": contacts.detail}
        return render(request, "store_error.html", context, status_code=page_status(contacts.status))
    public_url = str(request.app.state.settings.public_url).rstrip("/")
    context = {
        **frame,
        "primary": contacts.body["primary"],
        "contacts": contacts.body.get("items", []),
        "roles": ROLES,
        "setup_url": f"{public_url}/store/{store.slug}/setup-password",
        "values": {"role": "BUYER"},
        "errors": {},
        **(extra or {}),
    }
    return render(request, "store_contacts.html", context, status_code=status_code)


@router.get("/store/{slug}/contacts")
async def contacts(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    caller = await gateway.identify(request, slug=slug)
    return await contacts_page(request, gateway, caller)


@router.post("/store/{slug}/contacts")
async def add_contact(request: Request, slug: str) -> Response:
    gateway = gateway_of(request)
    form = await verified_form(request)
    caller = await gateway.identify(request, slug=slug)
    store = store_of(caller)
    if not caller.is_storefront_account:
        return to_store_login(request, store)
    values = {name: form.get(name, "") for name in CONTACT_FIELDS.values()}
    result = await api(gateway, caller, "POST", store_api(caller, "/contacts"), json_body=values)
    if result.ok:
        response = redirect(f"/store/{store.slug}/contacts")
        flash(response, "store-contact-added")
        return response
    errors = result.field_errors(CONTACT_FIELDS)
    extra = {"values": values, "errors": errors, "error": store_banner(result, errors), "adding": True}
    return await contacts_page(request, gateway, caller, extra, status_code=page_status(result.status))


@router.post("/store/{slug}/contacts/{contact_id}/role")
async def change_contact_role(request: Request, slug: str, contact_id: str) -> Response:
    gateway = gateway_of(request)
    form = await verified_form(request)
    caller = await gateway.identify(request, slug=slug)
    path = store_api(caller, f"/contacts/{parsed_id(contact_id, 'contact')}")
    return await change_contact(request, gateway, caller, "PATCH", path, {"role": form.get("role", "")}, "role")


@router.post("/store/{slug}/contacts/{contact_id}/remove")
async def remove_contact(request: Request, slug: str, contact_id: str) -> Response:
    gateway = gateway_of(request)
    await verified_form(request)
    caller = await gateway.identify(request, slug=slug)
    path = store_api(caller, f"/contacts/{parsed_id(contact_id, 'contact')}")
    return await change_contact(request, gateway, caller, "DELETE", path, None, "removed")


async def change_contact(
    request: Request, gateway: Gateway, caller: Caller, method: str, path: str, body: dict[str, Any] | None, done: str
) -> Response:
    store = store_of(caller)
    if not caller.is_storefront_account:
        return to_store_login(request, store)
    result = await api(gateway, caller, method, path, json_body=body)
    if result.ok:
        response = redirect(f"/store/{store.slug}/contacts")
        flash(response, f"store-contact-{done}")
        return response
    return await contacts_page(request, gateway, caller, {"error": result.detail}, page_status(result.status))
