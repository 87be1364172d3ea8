"""Calling every route of a service as the callers its declared access must refuse, and checking nothing changed."""

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx
from fastapi import APIRouter
from sqlalchemy import MetaData, func, select

from kit.access import STAFF_ROLES, RouteAccess
from kit.context import ContextSigner, Principal
from kit.db import Database
from kit.service import require_declared_access
from tests.conftest import context_headers

# Every API key scope there is (ARCHITECTURE.md: resource:read / resource:write).
RESOURCES = ("catalog", "customers", "orders", "documents", "webhooks", "audit")
EVERY_SCOPE = tuple(f"{resource}:{action}" for resource in RESOURCES for action in ("read", "write"))
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class WrongCaller:
    """Someone a route's access must refuse, and how: 401, 403, or 404 for an internal route."""

    label: str
    company_id: uuid.UUID | None
    principal: Principal
    status: int
    internal: bool = False


def wrong_callers(access: RouteAccess, company_id: uuid.UUID, staff_user_id: uuid.UUID) -> list[WrongCaller]:
    """The callers `access` refuses. Staff use `staff_user_id`, a real member, so only the role is wrong."""
    contact = Principal(type="contact", id=uuid.uuid4(), role="ADMIN", customer_id=uuid.uuid4())
    customer_id = uuid.uuid4()
    customer = Principal(type="customer", id=customer_id, role="ADMIN", customer_id=customer_id)
    every_scope_key = Principal(type="api_key", id=uuid.uuid4(), scopes=list(EVERY_SCOPE))
    owner = Principal(type="user", id=staff_user_id, role="OWNER")
    if access.kind == "internal":
        return [
            WrongCaller("anonymous caller", None, Principal(type="anonymous"), 404),
            WrongCaller("staff owner", company_id, owner, 404),
            WrongCaller("API key with every scope", company_id, every_scope_key, 404),
            WrongCaller("storefront contact", company_id, contact, 404),
        ]
    if access.kind == "storefront":
        return [
            WrongCaller("staff owner", company_id, owner, 403),
            WrongCaller("API key with every scope", company_id, every_scope_key, 403),
            WrongCaller("caller off any storefront", None, Principal(type="anonymous"), 401),
        ]
    if access.kind == "staff":
        other_scopes = [scope for scope in EVERY_SCOPE if scope.partition(":")[0] != access.scope]
        callers = [
            WrongCaller("anonymous caller", company_id, Principal(type="anonymous"), 401),
            WrongCaller("gateway's own anonymous lookup", company_id, Principal(type="anonymous"), 401, True),
            WrongCaller("storefront contact", company_id, contact, 403),
            WrongCaller("storefront customer", company_id, customer, 403),
            WrongCaller(
                "API key without the route's scope",
                company_id,
                Principal(type="api_key", id=uuid.uuid4(), scopes=other_scopes),
                403,
            ),
        ]
        for role in sorted(STAFF_ROLES - access.roles):
            callers.append(
                WrongCaller(f"staff {role}", company_id, Principal(type="user", id=staff_user_id, role=role), 403)
            )
        return callers
    return []


def concrete_path(path: str, values: Mapping[str, str]) -> str:
    """`path` with each `{name}` replaced by `values[name]`, or else a fresh UUID."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda found: values.get(found.group(1), str(uuid.uuid4())), path)


async def row_counts(database: Database, metadata: MetaData) -> dict[str, int]:
    """Rows in each of the service's tables (the outbox included, so an event raised shows too)."""
    counts = {}
    async with database.sessionmaker() as session:
        for name, table in metadata.tables.items():
            counts[name] = int(await session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


async def refusals_that_went_wrong(
    client: httpx.AsyncClient,
    signer: ContextSigner,
    service: str,
    routers: Sequence[APIRouter],
    *,
    company_id: uuid.UUID,
    staff_user_id: uuid.UUID,
    path_values: Mapping[str, str] | None = None,
) -> list[str]:
    """Call every route of `routers` as each caller its access refuses; describe each answer that was not
    the expected refusal (as problem+json). Empty when every route refused every wrong caller."""
    wrong: list[str] = []
    for route, access in require_declared_access(routers):
        path = concrete_path(route.path, path_values or {})
        for method in sorted(route.methods or ()):
            for caller in wrong_callers(access, company_id, staff_user_id):
                headers = context_headers(
                    signer, service, company_id=caller.company_id, principal=caller.principal, internal=caller.internal
                )
                body: dict[str, str] | None = {} if method in ("POST", "PATCH", "PUT") else None
                response = await client.request(method, path, json=body, headers=headers)
                refused = response.status_code == caller.status
                if not refused or response.headers.get("content-type") != PROBLEM_JSON:
                    wrong.append(
                        f"{method} {route.path} as {caller.label}: {response.status_code} (expected {caller.status})"
                    )
    return wrong
