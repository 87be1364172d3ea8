"""Company routes: the signed-in company's settings, and the gateway's storefront lookup."""

from fastapi import APIRouter

from kit.access import INTERNAL, staff
from kit.context import Context
from kit.db import Session
from kit.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, problem_responses
from services.identity.companies import service
from services.identity.companies.schemas import CompanyRead, CompanyUpdate, Storefront
from services.identity.dependencies import Directory

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


@internal_router.get("/storefronts/{slug}", responses=problem_responses(NotFound))
async def resolve_storefront(session: Session, directory: Directory, slug: str) -> Storefront:
    """The company behind `/store/{slug}`; the gateway calls this when the Redis directory misses."""
    company = await service.resolve_storefront(session, directory, slug)
    return Storefront(company_id=company.id, name=company.name, slug=company.slug)
