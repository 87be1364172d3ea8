"""What every dashboard page shares: the signed-in staff member's client, and the frame around the content
(who is signed in, the nav entries their role may use, each registered by its area)."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from gateway.web.client import PageClient, gateway_of, problem
from gateway.web.forms import redirect


@dataclass(frozen=True)
class NavEntry:
    """One entry of the dashboard's sidebar, registered by its area."""

    name: str  # the `active` of the area's pages; its test id is nav-<name with dashes>
    label: str
    href: str
    position: int  # place in the sidebar, top first
    # The API call the area's page needs: the entry is shown to the roles the route table lets make it.
    needs: tuple[str, str] | None = None

    @property
    def testid(self) -> str:
        return "nav-" + self.name.replace("_", "-")


_NAV: dict[str, NavEntry] = {}


def nav_entry(entry: NavEntry) -> None:
    """Registers an area's sidebar entry."""
    if entry.name in _NAV:
        raise ValueError(f"nav entry {entry.name!r} registered twice")
    _NAV[entry.name] = entry


class SignInFirst(Exception):
    """A dashboard page asked for by someone not signed in as staff: they are sent to sign in."""


async def staff_client(request: Request) -> PageClient:
    """The signed-in staff member's client; anyone else is redirected to `/login` (SignInFirst)."""
    gateway = gateway_of(request)
    caller = await gateway.identify(request)
    if not caller.is_staff:
        raise SignInFirst
    return PageClient(gateway, caller)


def install_sign_in_redirect(app: FastAPI) -> None:
    async def sign_in_first(request: Request, exc: Exception) -> Response:
        return to_login(request)

    app.add_exception_handler(SignInFirst, sign_in_first)


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect("/login?" + urlencode({"next": target}))


async def dashboard_frame(request: Request, client: PageClient, active: str) -> dict[str, Any] | Response:
    """What every dashboard page shows around its content: who is signed in, the nav they may use."""
    me = await client.call("GET", "/api/v1/me")
    if me.status == 401:
        return to_login(request)
    if not me.ok:
        raise problem(me)
    may = client.gateway.routes.staff_role_may
    role = client.caller.role
    entries = sorted(_NAV.values(), key=lambda entry: entry.position)
    return {
        "me": me.body,
        "active": active,
        "nav": [entry for entry in entries if entry.needs is None or may(role, *entry.needs)],
    }
