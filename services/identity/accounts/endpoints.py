"""Signup, sign-in and "who am I" routes. Sessions and cookies are the gateway's; these only check and create."""

from fastapi import APIRouter, status

from kit.context import Context
from kit.db import Session
from kit.errors import Conflict, Forbidden, Unauthorized, problem_responses
from services.identity.accounts import service
from services.identity.accounts.schemas import LoginRequest, SessionRead, SignupRequest, UserRead
from services.identity.companies.schemas import CompanySummary
from services.identity.dependencies import Directory, Settings

router = APIRouter(prefix="/api/v1", tags=["signup & session"])


def _session_read(signed_in: service.SignedIn) -> SessionRead:
    return SessionRead(
        user=UserRead.model_validate(signed_in.user),
        company=CompanySummary.model_validate(signed_in.company),
        role=signed_in.membership.role,
        membership_id=signed_in.membership.id,
    )


@router.post("/signup", status_code=status.HTTP_201_CREATED, responses=problem_responses(Conflict))
async def signup(
    session: Session, context: Context, directory: Directory, settings: Settings, body: SignupRequest
) -> SessionRead:
    """Create a company, its owner and a Starter trial; the gateway then signs the owner in."""
    signed_in = await service.signup(session, directory, body, context=context, trial_days=settings.trial_days)
    return _session_read(signed_in)


@router.post("/auth/login", responses=problem_responses(Unauthorized))
async def login(session: Session, context: Context, body: LoginRequest) -> SessionRead:
    """Check a staff member's email and password; the gateway then opens the session."""
    return _session_read(await service.login(session, body, context=context))


@router.get("/me", responses=problem_responses(Unauthorized, Forbidden))
async def me(session: Session, context: Context) -> SessionRead:
    """The signed-in staff member, their company and role."""
    return _session_read(await service.current_member(session, context))
