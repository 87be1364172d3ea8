"""API key bodies, and the scopes a key can hold: the one list of them."""

import uuid
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, StringConstraints

from kit.schemas import CamelModel
from services.identity.team.schemas import StaffSummary

# `resource:read` / `resource:write` for each resource an integrator can reach; write implies read.
ApiKeyScope = Literal[
    "catalog:read",
    "catalog:write",
    "customers:read",
    "customers:write",
    "orders:read",
    "orders:write",
    "documents:read",
    "documents:write",
    "webhooks:read",
    "webhooks:write",
    "audit:read",
    "audit:write",
]
SCOPES: tuple[str, ...] = get_args(ApiKeyScope)

ApiKeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _unique(scopes: list[ApiKeyScope]) -> list[ApiKeyScope]:
    if len(set(scopes)) != len(scopes):
        raise ValueError("List each scope once.")
    return scopes


class ApiKeyCreate(CamelModel):
    name: ApiKeyName
    scopes: Annotated[
        list[ApiKeyScope], Field(min_length=1, json_schema_extra={"uniqueItems": True}), AfterValidator(_unique)
    ]


class ApiKeyRead(CamelModel):
    id: uuid.UUID
    name: str
    # The secret's first characters, so people can tell their keys apart.
    prefix: str
    scopes: list[str]
    created_at: datetime
    created_by: StaffSummary | None
    last_used_at: datetime | None


class ApiKeyCreatedRead(CamelModel):
    """The new key with its secret: shown here once, never again (only a hash is kept)."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    secret: str
