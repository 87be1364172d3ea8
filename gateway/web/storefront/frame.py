"""What every storefront page shares: the storefront and its caller's client, the frame around the content
(the storefront, who is signed in), and the ways back to its sign-in."""

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response

from contracts.redis import StorefrontEntry
from gateway.web.client import ApiResult, PageClient, gateway_of, problem
from gateway.web.forms import banner, redirect, safe_next


@dataclass(frozen=True)
class AccountTab:
    """One tab of a signed-in account's pages, registered by its area."""

    name: str  # the `active` of the area's pages and its path under the storefront
    label: str
    position: int  # place among the tabs, first on the left
    admins_only: bool = False

    @property
    def testid(self) -> str:
        return f"store-nav-{self.name}"


_TABS: dict[str, AccountTab] = {}


def account_tab(tab: AccountTab) -> None:
    """Registers an area's tab on the account's pages."""
    if tab.name in _TABS:
        raise ValueError(f"account tab {tab.name!r} registered twice")
    _TABS[tab.name] = tab


async def store_client(request: Request, slug: str) -> PageClient:
    """The caller of this storefront's page; an unknown storefront is a 404 page."""
    gateway = gateway_of(request)
    return PageClient(gateway, await gateway.identify(request, slug=slug))


def store_of(client: PageClient) -> StorefrontEntry:
    # identify(slug=...) resolves the storefront or raises 404, so every page here has one.
    assert client.caller.storefront is not None
    return client.caller.storefront


def store_api(client: PageClient, path: str) -> str:
    return f"/store/{store_of(client).slug}/api{path}"


def store_page(client: PageClient, path: str = "") -> str:
    return f"/store/{store_of(client).slug}{path}"


def store_next(store: StorefrontEntry, value: str | None) -> str:
    """Only this storefront's pages: `next` must never leave it (for another host, or the dashboard). Without
    one, a signed-in customer lands where they shop: the catalog."""
    base = f"/store/{store.slug}/"
    if value and safe_next(value) == value and value.startswith(base) and "/../" not in value and "\\" not in value:
        return value
    return base + "catalog"


def to_store_login(request: Request, store: StorefrontEntry) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/store/{store.slug}/login?" + urlencode({"next": target}))


def store_banner(result: ApiResult, errors: dict[str, str]) -> str | None:
    # A refusal already explained next to its field is not repeated above the form.
    message = banner(result, errors)
    return None if message in errors.values() else message


# Roles that may fill a cart and place orders; every role (VIEWER too) sees the customer's orders.
ORDERING_ROLES = frozenset({"ADMIN", "BUYER"})


def may_order(me: dict[str, Any] | None) -> bool:
    """Whether the signed-in account may shop (the primary account is an ADMIN); guests and viewers may not."""
    return me is not None and me.get("role") in ORDERING_ROLES


def cart_lines(cart: ApiResult) -> int | None:
    """The number of lines in a cart as the API answered it; None when there is none to count (orders briefly
    unavailable): the bar then shows the Cart link without a count."""
    if not cart.ok or not isinstance(cart.body, dict):
        return None
    return len(cart.body.get("items") or [])


async def store_frame(client: PageClient, *, count_cart: bool = True) -> dict[str, Any]:
    """What every storefront page shows around its content: the storefront, who is signed in (or None), whether
    they may order, and how many lines their cart holds (fetched alongside, so it costs no extra wait).

    `count_cart=False` for a page that reads the cart itself and sets `cart_count` from it."""
    me = None
    cart_count = None
    if client.caller.is_storefront_account:
        calls = [client.call("GET", store_api(client, "/me"))]
        # A viewer has no cart: asking for it would only be refused.
        if count_cart and client.caller.role in ORDERING_ROLES:
            calls.append(client.call("GET", store_api(client, "/cart")))
        result, *cart = await asyncio.gather(*calls)
        if result.ok:
            me = result.body
        elif result.status != 401:
            raise problem(result)
        if cart and may_order(me):
            cart_count = cart_lines(cart[0])
    return {"store": store_of(client), "me": me, "can_order": may_order(me), "cart_count": cart_count}


async def account_frame(request: Request, client: PageClient, active: str) -> dict[str, Any] | Response:
    """The frame of a page for signed-in accounts, or the redirect to sign in (also when the account is gone)."""
    frame = await store_frame(client)
    if frame["me"] is None:
        return to_store_login(request, store_of(client))
    is_admin = frame["me"]["role"] == "ADMIN"
    tabs = [tab for tab in sorted(_TABS.values(), key=lambda tab: tab.position) if is_admin or not tab.admins_only]
    return {**frame, "active": active, "is_admin": is_admin, "tabs": tabs}
