"""Dashboard pages for the team (members, roles, ownership, invites) and the public page that accepts an invite."""

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.pipeline import Caller, Gateway
from gateway.web.calls import (
    ApiResult,
    api,
    banner,
    dashboard_frame,
    gateway_of,
    id_or_404,
    page_status,
    problem,
    redirect,
    signed_in,
    staff_caller,
)
from gateway.web.rendering import flash, render, verified_form

router = APIRouter(include_in_schema=False)

MEMBERS_PAGE_SIZE = 100
# Pending invites count toward the plan's team size, so they are few: one page holds them.
INVITES_PAGE_SIZE = 200
INVITE_ROLES = ("MEMBER", "ADMIN")
INVITE_FIELDS = {"email": "email", "role": "role"}
ACCEPT_FIELDS = {"name": "name", "password": "password"}
PASSWORDS_DIFFER = "The passwords do not match."

# What a row's form sends to the API, made from the posted fields.
FormBody = Callable[[dict[str, str]], dict[str, str]]


def _public_url(request: Request) -> str:
    return str(request.app.state.settings.public_url).rstrip("/")


# -- the team page ----------------------------------------------------------------------------


@router.get("/dashboard/team")
async def team_page(request: Request) -> Response:
    gateway, caller = await staff_caller(request)
    return await _team_page(request, gateway, caller, {"role": "MEMBER"}, {})


@router.post("/dashboard/team")
async def invite(request: Request) -> Response:
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    values = {name: form.get(name, "") for name in INVITE_FIELDS.values()}
    result = await api(gateway, caller, "POST", "/api/v1/invites", json_body=values)
    if result.ok:
        # The link's token exists only in this answer: the page shows it once, instead of redirecting.
        invited = {**result.body, "acceptUrl": _public_url(request) + str(result.body["acceptPath"])}
        response = await _team_page(request, gateway, caller, {"role": values["role"]}, {}, invited=invited)
        response.headers["Cache-Control"] = "no-store"
        return response
    errors = result.field_errors(INVITE_FIELDS)
    return await _team_page(request, gateway, caller, values, errors, refused=result)


@router.post("/dashboard/team/invites/{invite_id}/revoke")
async def revoke_invite(request: Request, invite_id: str) -> Response:
    path = f"/api/v1/invites/{id_or_404(invite_id, 'invite')}"
    return await _team_change(request, "DELETE", path, None, "invite-revoked")


@router.post("/dashboard/team/members/{member_id}/role")
async def change_member_role(request: Request, member_id: str) -> Response:
    path = f"/api/v1/members/{id_or_404(member_id, 'member')}"
    return await _team_change(
        request, "PATCH", path, lambda form: {"role": form.get("role", "")}, "member-role-changed"
    )


@router.post("/dashboard/team/members/{member_id}/remove")
async def remove_member(request: Request, member_id: str) -> Response:
    path = f"/api/v1/members/{id_or_404(member_id, 'member')}"
    return await _team_change(request, "DELETE", path, None, "member-removed")


@router.post("/dashboard/team/members/{member_id}/transfer-ownership")
async def transfer_ownership(request: Request, member_id: str) -> Response:
    path = f"/api/v1/members/{id_or_404(member_id, 'member')}/transfer-ownership"
    return await _team_change(request, "POST", path, None, "ownership-transferred")


async def _team_change(request: Request, method: str, path: str, body: FormBody | None, flash_code: str) -> Response:
    """One row's change (a role, a removal, a transfer, a revocation): back to the team page either way."""
    form = await verified_form(request)
    gateway, caller = await staff_caller(request)
    result = await api(gateway, caller, method, path, json_body=body(form) if body is not None else None)
    if result.ok:
        response = redirect("/dashboard/team")
        flash(response, flash_code)
        return response
    if result.status == 404:
        raise problem(result)
    return await _team_page(request, gateway, caller, {"role": "MEMBER"}, {}, refused=result)


async def _team_page(
    request: Request,
    gateway: Gateway,
    caller: Caller,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    refused: ApiResult | None = None,
    invited: dict[str, Any] | None = None,
) -> Response:
    cursor = request.query_params.get("cursor")
    member_query = {"limit": str(MEMBERS_PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
    frame, members, invites = await asyncio.gather(
        dashboard_frame(request, gateway, caller, "team"),
        api(gateway, caller, "GET", "/api/v1/members", query=urlencode(member_query)),
        api(gateway, caller, "GET", "/api/v1/invites", query=urlencode({"limit": str(INVITES_PAGE_SIZE)})),
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
        "member_roles": tuple(reversed(INVITE_ROLES)),
        "invite_roles": INVITE_ROLES,
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
    caller = await gateway.identify(request)
    token = request.query_params.get("token", "")
    lookup = await _lookup(gateway, caller, token)
    return _accept_page(request, token, lookup, {}, {})


@router.post("/invites/accept")
async def accept(request: Request) -> Response:
    gateway = gateway_of(request)
    form = await verified_form(request)
    caller = await gateway.identify(request)
    token = form.get("token", "")
    lookup = await _lookup(gateway, caller, token)
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
    result = await api(gateway, caller, "POST", "/api/v1/invites/accept", json_body=body)
    if result.ok and result.new_session is not None:
        response = redirect("/dashboard")
        flash(response, "invite-accepted")
        return signed_in(gateway, caller, response, result.new_session)
    if result.status == 404:
        return _accept_page(request, token, result, {}, {})
    errors = result.field_errors(ACCEPT_FIELDS)
    return _accept_page(
        request, token, lookup, values, errors, error=banner(result, errors), status_code=page_status(result.status)
    )


async def _lookup(gateway: Gateway, caller: Caller, token: str) -> ApiResult:
    if not token.strip():
        return ApiResult(404, {"detail": "This invitation link is incomplete; open the full link you were sent."})
    return await api(gateway, caller, "POST", "/api/v1/invites/lookup", json_body={"token": token})


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
