"""Company routes: the signed-in company's settings and deletion, and the gateway's storefront lookup."""

from fastapi import APIRouter, status

from contracts.redis import StorefrontEntry
from kit.access import INTERNAL, staff
from kit.context import Context
from kit.db import Session
from kit.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, problem_responses
from services.identity.companies import deletion, service
from services.identity.companies.schemas import CompanyDeletion, CompanyDeletionRead, CompanyRead, CompanyUpdate
from services.identity.dependencies import ApiKeys, Directory, Principals

router = APIRouter(prefix="/api/v1", tags=["company"])
internal_router = APIRouter(prefix="/internal", include_in_schema=False, dependencies=[INTERNAL])


@router.get("/company", dependencies=[staff()], responses=problem_responses(Unauthorized, Forbidden))
async def get_company(session: Session, context: Context) -> CompanyRead:
    """The signed-in staff member's company."""
    return CompanyRead.model_validate(await service.get_company(session, context))


@router.patch(
    "/company",
    dependencies=[staff("OWNER", "ADMIN")],
    responses=problem_responses(InvalidInput, Unauthorized, Forbidden, Conflict),
)
async def update_company(session: Session, context: Context, directory: Directory, body: CompanyUpdate) -> CompanyRead:
    """Rename the company or change its storefront address (owner and admins). A new slug applies at once."""
    company = await service.update_company(session, directory, body, context=context)
    return CompanyRead.model_validate(company)


@router.delete(
    "/company",
    dependencies=[staff("OWNER")],
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(deletion.SlugNotConfirmed, Unauthorized, Forbidden),
)
async def delete_company(
    session: Session,
    context: Context,
    directory: Directory,
    principals: Principals,
    api_keys: ApiKeys,
    body: CompanyDeletion,
) -> CompanyDeletionRead:
    """Delete the company and everything it holds (owner only; `confirmSlug` is its storefront address).

    Its sessions, API keys and storefront stop working at once and its slug is free again; every
    service then purges the company's rows.
    """
    tombstone = await deletion.delete_company(
        session, deletion.CompanyKeys(directory, principals, api_keys), body, context=context
    )
    return CompanyDeletionRead(id=tombstone.id, deleted_at=tombstone.deleted_at)


@internal_router.get("/storefronts/{slug}", responses=problem_responses(NotFound))
async def resolve_storefront(session: Session, directory: Directory, slug: str) -> StorefrontEntry:
    """The company behind `/store/{slug}`; the gateway calls this when the Redis directory misses."""
    return service.storefront_entry(await service.resolve_storefront(session, directory, slug))
