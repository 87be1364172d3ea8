"""What every storefront page shares: the storefront and its caller's client, the frame around the content
(the storefront, who is signed in), and the ways back to its sign-in."""

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


async def store_frame(client: PageClient) -> dict[str, Any]:
    """What every storefront page shows around its content: the storefront, and who is signed in (or None)."""
    me = None
    if client.caller.is_storefront_account:
        result = await client.call("GET", store_api(client, "/me"))
        if result.ok:
            me = result.body
        elif result.status != 401:
            raise problem(result)
    return {"store": store_of(client), "me": me}


async def account_frame(request: Request, client: PageClient, active: str) -> dict[str, Any] | Response:
    """The frame of a page for signed-in accounts, or the redirect to sign in (also when the account is gone)."""
    frame = await store_frame(client)
    if frame["me"] is None:
        return to_store_login(request, store_of(client))
    is_admin = frame["me"]["role"] == "ADMIN"
    tabs = [tab for tab in sorted(_TABS.values(), key=lambda tab: tab.position) if is_admin or not tab.admins_only]
    return {**frame, "active": active, "is_admin": is_admin, "tabs": tabs}
