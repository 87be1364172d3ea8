"""API key routes: issue, list and revoke keys (owner and admins), and the gateway's lookup of a key."""

import uuid

from fastapi import APIRouter, status

from contracts.redis import ApiKeyEntry
from kit.access import INTERNAL, staff
from kit.context import Context
from kit.db import Session
from kit.errors import Forbidden, InvalidInput, NotFound, Unauthorized, problem_responses
from kit.pagination import Cursor, Limit, Page
from services.identity.api_keys import service
from services.identity.api_keys.directory import api_key_entry
from services.identity.api_keys.schemas import ApiKeyCreate, ApiKeyCreatedRead, ApiKeyRead
from services.identity.dependencies import ApiKeys
from services.identity.team.schemas import StaffSummary

router = APIRouter(prefix="/api/v1/api-keys", tags=["API keys"], dependencies=[staff("OWNER", "ADMIN")])
internal_router = APIRouter(prefix="/internal", include_in_schema=False, dependencies=[INTERNAL])


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(Unauthorized, Forbidden))
async def create_api_key(
    session: Session, context: Context, directory: ApiKeys, body: ApiKeyCreate
) -> ApiKeyCreatedRead:
    """Issue a key with the given scopes. The answer carries its secret: shown only here, store it safely."""
    created = await service.create_api_key(session, directory, body, context=context)
    key = created.key
    return ApiKeyCreatedRead(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=key.scopes,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        secret=created.secret,
    )


@router.get("", responses=problem_responses(InvalidInput, Unauthorized, Forbidden))
async def list_api_keys(
    session: Session, context: Context, directory: ApiKeys, limit: Limit = 50, cursor: Cursor = None
) -> Page[ApiKeyRead]:
    """Active keys, newest first, with who created them and when each was last used."""
    listed, next_cursor = await service.list_api_keys(session, directory, context, limit=limit, cursor=cursor)
    items = [
        ApiKeyRead(
            id=item.key.id,
            name=item.key.name,
            prefix=item.key.prefix,
            scopes=item.key.scopes,
            created_at=item.key.created_at,
            created_by=StaffSummary.model_validate(item.created_by) if item.created_by else None,
            last_used_at=item.key.last_used_at,
        )
        for item in listed
    ]
    return Page[ApiKeyRead](items=items, next_cursor=next_cursor)


@router.delete(
    "/{api_key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def revoke_api_key(session: Session, context: Context, directory: ApiKeys, api_key_id: uuid.UUID) -> None:
    """Revoke a key: its next call is refused."""
    await service.revoke_api_key(session, directory, api_key_id, context=context)


@internal_router.get("/api-keys/{secret_hash}", responses=problem_responses(NotFound))
async def resolve_api_key(session: Session, directory: ApiKeys, secret_hash: str) -> ApiKeyEntry:
    """The active key behind a secret's SHA-256; the gateway calls this when its directory entry is missing."""
    return api_key_entry(await service.resolve_api_key(session, directory, secret_hash))
