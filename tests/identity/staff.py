"""Test support for the team and API key tests: staff joining through invites, API key callers, Redis entries."""

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from kit.context import Principal
from kit.db import utcnow
from services.identity.models import ApiKey, Invite, Membership
from tests.conftest import context_headers
from tests.identity.conftest import SERVICE, Identity

PASSWORD = "correct horse battery"
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Staffer:
    """A staff member of one company, as a test drives them."""

    user_id: str
    membership_id: str
    email: str
    headers: dict[str, str]


def new_email(label: str = "invitee") -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@example.com"


async def invite(
    identity: Identity,
    account: dict[str, Any],
    *,
    email: str | None = None,
    role: str = "MEMBER",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A new invite (its answer, with the token), sent by `headers` or the account's owner."""
    response = await identity.client.post(
        "/api/v1/invites",
        json={"email": email or new_email(), "role": role},
        headers=headers or identity.owner_of(account),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def accept(
    identity: Identity, token: str, *, name: str | None = "Nia Newcomer", password: str = PASSWORD
) -> httpx.Response:
    body: dict[str, Any] = {"token": token, "password": password}
    if name is not None:
        body["name"] = name
    return await identity.client.post("/api/v1/invites/accept", json=body, headers=identity.anonymous())


async def join(identity: Identity, account: dict[str, Any], role: str = "MEMBER") -> Staffer:
    """Someone new joining `account`'s company with `role`, the way people do: invited, then accepting."""
    created = await invite(identity, account, role=role)
    response = await accept(identity, created["token"])
    assert response.status_code == 200, response.text
    session = response.json()
    return Staffer(
        user_id=session["user"]["id"],
        membership_id=session["membershipId"],
        email=session["user"]["email"],
        headers=identity.staff(session["company"]["id"], session["user"]["id"], role),
    )


def api_key_headers(identity: Identity, account: dict[str, Any], *scopes: str) -> dict[str, str]:
    """Headers of an integrator's API key of `account`'s company (the gateway's principal for it)."""
    return context_headers(
        identity.signer,
        SERVICE,
        company_id=uuid.UUID(account["company"]["id"]),
        principal=Principal(type="api_key", id=uuid.uuid4(), scopes=list(scopes)),
    )


async def members(identity: Identity, account: dict[str, Any]) -> list[dict[str, Any]]:
    response = await identity.client.get("/api/v1/members", headers=identity.owner_of(account))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def roles(identity: Identity, account: dict[str, Any]) -> dict[str, str]:
    """Each membership's role as stored, owner included: {membership id: role}."""
    async with identity.database.sessionmaker() as session:
        rows = await session.scalars(
            select(Membership).where(Membership.company_id == uuid.UUID(account["company"]["id"]))
        )
        return {str(row.id): row.role.value for row in rows}


async def invites(identity: Identity, account: dict[str, Any]) -> list[Invite]:
    async with identity.database.sessionmaker() as session:
        rows = await session.scalars(select(Invite).where(Invite.company_id == uuid.UUID(account["company"]["id"])))
        return list(rows)


async def api_keys(identity: Identity, account: dict[str, Any]) -> list[ApiKey]:
    async with identity.database.sessionmaker() as session:
        rows = await session.scalars(select(ApiKey).where(ApiKey.company_id == uuid.UUID(account["company"]["id"])))
        return list(rows)


async def expire_invite(identity: Identity, invite_id: str) -> None:
    """Time travel: the invite's link ran out an hour ago."""
    async with identity.database.sessionmaker() as session, session.begin():
        row = await session.get(Invite, uuid.UUID(invite_id))
        assert row is not None
        row.expires_at = utcnow() - timedelta(hours=1)


async def principal_entry(identity: Identity, membership_id: str) -> dict[str, Any] | None:
    raw = await identity.redis.get(f"{identity.platform.namespace}:principal:{membership_id}")
    return json.loads(raw) if raw is not None else None


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response's problem+json body, after checking it is one with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body
