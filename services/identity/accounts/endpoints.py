"""Signup, sign-in and "who am I" routes. Sessions and cookies are the gateway's; these only check and create."""

import uuid

from fastapi import APIRouter, status

from contracts.redis import PrincipalEntry
from kit.access import INTERNAL, PUBLIC, staff
from kit.context import Context
from kit.db import Session
from kit.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthorized, problem_responses
from services.identity.accounts import service
from services.identity.accounts.passwords import Guard
from services.identity.accounts.schemas import LoginRequest, SessionRead, SignupRequest, UserRead
from services.identity.companies.schemas import CompanySummary
from services.identity.dependencies import Directory, Principals, Settings

router = APIRouter(prefix="/api/v1", tags=["signup & session"])
internal_router = APIRouter(prefix="/internal", include_in_schema=False, dependencies=[INTERNAL])


def _session_read(signed_in: service.SignedIn) -> SessionRead:
    return SessionRead(
        user=UserRead.model_validate(signed_in.user),
        company=CompanySummary.model_validate(signed_in.company),
        role=signed_in.membership.role,
        membership_id=signed_in.membership.id,
    )


@router.post(
    "/signup", dependencies=[PUBLIC], status_code=status.HTTP_201_CREATED, responses=problem_responses(Conflict)
)
async def signup(
    session: Session,
    context: Context,
    directory: Directory,
    principals: Principals,
    settings: Settings,
    body: SignupRequest,
) -> SessionRead:
    """Create a company, its owner and a Starter trial; the gateway then signs the owner in."""
    signed_in = await service.signup(
        session, directory, principals, body, context=context, trial_days=settings.trial_days
    )
    return _session_read(signed_in)


@router.post("/auth/login", dependencies=[PUBLIC], responses=problem_responses(Unauthorized, RateLimited))
async def login(
    session: Session, context: Context, principals: Principals, guard: Guard, body: LoginRequest
) -> SessionRead:
    """Check a staff member's email and password; the gateway then opens the session."""
    return _session_read(await service.login(session, principals, guard, body, context=context))


@router.get("/me", dependencies=[staff()], responses=problem_responses(Unauthorized, Forbidden))
async def me(session: Session, context: Context) -> SessionRead:
    """The signed-in staff member, their company and role."""
    return _session_read(await service.current_member(session, context))


@internal_router.get("/principals/{ref}", responses=problem_responses(NotFound))
async def resolve_principal(session: Session, principals: Principals, ref: uuid.UUID) -> PrincipalEntry:
    """Who a session's reference points at now; the gateway calls this when its directory entry is missing."""
    return await service.resolve_principal(session, principals, ref)
