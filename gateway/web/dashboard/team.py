"""Dashboard pages for the team (members, roles, ownership, invites) and the public page that accepts an invite."""

import asyncio
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, PageClient, gateway_of, id_or_404, problem
from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.forms import banner, go, page_status, signing_in, submit, verified_form
from gateway.web.rendering import flash_messages, render
from gateway.web.vocabulary import ASSIGNABLE_STAFF_ROLES

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "member-role-changed": ("success", "Role changed. It applies on their next request."),
        "member-removed": ("success", "Removed from the team."),
        "ownership-transferred": ("success", "Ownership transferred. You are now an admin."),
        "invite-revoked": ("success", "Invite revoked. Its link no longer works."),
        "invite-accepted": ("success", "Welcome aboard! You have joined the team."),
    }
)

MEMBERS_PAGE_SIZE = 100
# Pending invites count toward the plan's team size, so they are few: one page holds them.
INVITES_PAGE_SIZE = 200
INVITE_FIELDS = {"email": "email", "role": "role"}
ACCEPT_FIELDS = {"name": "name", "password": "password"}
PASSWORDS_DIFFER = "The passwords do not match."


def _public_url(request: Request) -> str:
    return str(request.app.state.settings.public_url).rstrip("/")


# -- the team page ----------------------------------------------------------------------------


nav_entry(NavEntry("team", "Team", "/dashboard/team", 30, needs=("GET", "/api/v1/members")))


@router.get("/dashboard/team")
async def team_page(request: Request) -> Response:
    client = await staff_client(request)
    return await _team_page(request, client, {"role": "MEMBER"}, {})


@router.post("/dashboard/team")
async def invite(request: Request) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    values = {name: form.get(name, "") for name in INVITE_FIELDS.values()}

    async def invited(result: ApiResult) -> Response:
        # The link's token exists only in this answer: the page shows it once, instead of redirecting.
        shown = {**result.body, "acceptUrl": _public_url(request) + str(result.body["acceptPath"])}
        response = await _team_page(request, client, {"role": values["role"]}, {}, invited=shown)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        return await _team_page(request, client, values, errors, refused=result)

    return await submit(
        client, "POST", "/api/v1/invites", values, fields=INVITE_FIELDS, success=invited, refused=refused
    )


@router.post("/dashboard/team/invites/{invite_id}/revoke")
async def revoke_invite(request: Request, invite_id: str) -> Response:
    path = f"/api/v1/invites/{id_or_404(invite_id, 'invite')}"
    return await _team_change(request, "DELETE", path, None, "invite-revoked")


@router.post("/dashboard/team/members/{member_id}/role")
async def change_member_role(request: Request, member_id: str) -> Response:
    path = f"/api/v1/members/{id_or_404(member_id, 'member')}"
    return await _team_change(request, "PATCH", path, "role", "member-role-changed")


@router.post("/dashboard/team/members/{member_id}/remove")
async def remove_member(request: Request, member_id: str) -> Response:
    path = f"/api/v1/members/{id_or_404(member_id, 'member')}"
    return await _team_change(request, "DELETE", path, None, "member-removed")


@router.post("/dashboard/team/members/{member_id}/transfer-ownership")
async def transfer_ownership(request: Request, member_id: str) -> Response:
    path = f"/api/v1/members/{id_or_404(member_id, 'member')}/transfer-ownership"
    return await _team_change(request, "POST", path, None, "ownership-transferred")


async def _team_change(request: Request, method: str, path: str, field: str | None, message: str) -> Response:
    """One row's change (a role, a removal, a transfer, a revocation): back to the team page either way."""
    form = await verified_form(request)
    client = await staff_client(request)

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        if result.status == 404:
            raise problem(result)
        return await _team_page(request, client, {"role": "MEMBER"}, {}, refused=result)

    body = {field: form.get(field, "")} if field is not None else None
    section = "invites" if message == "invite-revoked" else "members"
    success = go(f"/dashboard/team#{section}", message)
    return await submit(client, method, path, body, success=success, refused=refused)


async def _team_page(
    request: Request,
    client: PageClient,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    refused: ApiResult | None = None,
    invited: dict[str, Any] | None = None,
) -> Response:
    cursor = request.query_params.get("cursor")
    member_query = {"limit": str(MEMBERS_PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
    frame, members, invites = await asyncio.gather(
        dashboard_frame(request, client, "team"),
        client.call("GET", "/api/v1/members", query=urlencode(member_query)),
        client.call("GET", "/api/v1/invites", query=urlencode({"limit": str(INVITES_PAGE_SIZE)})),
    )
    if isinstance(frame, Response):
        return frame
    for answer in (members, invites):
        if not answer.ok:
            # A MEMBER, or anyone whose role no longer allows it, gets the API's 403 as the error page.
            raise problem(answer)
    next_cursor = members.body.get("nextCursor")
    context = {
        **frame,
        "members": members.body["items"],
        "invites": invites.body["items"],
        "first_page": cursor is None,
        "next_url": f"/dashboard/team?{urlencode({'cursor': next_cursor})}" if next_cursor else None,
        "is_owner": frame["me"]["role"] == "OWNER",
        "member_roles": tuple(reversed(ASSIGNABLE_STAFF_ROLES)),
        "invite_roles": ASSIGNABLE_STAFF_ROLES,
        "values": values,
        "errors": errors,
        "error": banner(refused, errors) if refused is not None else None,
        "invited": invited,
    }
    status_code = page_status(refused.status) if refused is not None else 200
    return render(request, "team.html", context, status_code=status_code)


# -- accepting an invite (public) -------------------------------------------------------------


@router.get("/invites/accept")
async def accept_page(request: Request) -> Response:
    gateway = gateway_of(request)
    client = PageClient(gateway, await gateway.identify(request))
    token = request.query_params.get("token", "")
    lookup = await _lookup(client, token)
    return _accept_page(request, token, lookup, {}, {})


@router.post("/invites/accept")
async def accept(request: Request) -> Response:
    gateway = gateway_of(request)
    form = await verified_form(request)
    client = PageClient(gateway, await gateway.identify(request))
    token = form.get("token", "")
    lookup = await _lookup(client, token)
    if not lookup.ok:
        return _accept_page(request, token, lookup, {}, {})
    existing_user = bool(lookup.body["existingUser"])
    values = {"name": "" if existing_user else form.get("name", "")}
    password = form.get("password", "")
    if not existing_user and password != form.get("confirm_password", ""):
        return _accept_page(request, token, lookup, values, {"confirm_password": PASSWORDS_DIFFER}, status_code=422)
    body: dict[str, str] = {"token": token, "password": password}
    if not existing_user:
        body["name"] = values["name"]

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        if result.status == 404:
            return _accept_page(request, token, result, {}, {})
        error = banner(result, errors)
        return _accept_page(request, token, lookup, values, errors, error=error, status_code=page_status(result.status))

    success = signing_in(client, "/dashboard", "invite-accepted")
    return await submit(
        client, "POST", "/api/v1/invites/accept", body, fields=ACCEPT_FIELDS, success=success, refused=refused
    )


async def _lookup(client: PageClient, token: str) -> ApiResult:
    if not token.strip():
        return ApiResult(404, {"detail": "This invitation link is incomplete; open the full link you were sent."})
    return await client.call("POST", "/api/v1/invites/lookup", json_body={"token": token})


def _accept_page(
    request: Request,
    token: str,
    lookup: ApiResult,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    if lookup.ok:
        context = {"invite": lookup.body, "token": token, "values": values, "errors": errors, "error": error}
        response = render(request, "invite_accept.html", context, status_code=status_code)
    else:
        # Unknown, expired, revoked or used: one clear page, whatever the reason (the API does not say which).
        context = {"invite": None, "unusable": lookup.detail}
        response = render(request, "invite_accept.html", context, status_code=page_status(lookup.status))
    # The page (and its form) carries the token: keep it out of caches and other sites' Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
