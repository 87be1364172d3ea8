"""Storefront session routes: password setup, sign-in and "who am I". Sessions and cookies are the gateway's."""

from fastapi import APIRouter

from kit.access import STOREFRONT
from kit.context import Context
from kit.db import Session
from kit.errors import Conflict, InvalidInput, RateLimited, Unauthorized, problem_responses
from services.identity.accounts.passwords import Guard
from services.identity.companies.schemas import CompanySummary
from services.identity.dependencies import Principals
from services.identity.storefront import service
from services.identity.storefront.schemas import (
    AccountRead,
    ContactSummary,
    CustomerSummary,
    SetupPasswordRead,
    SetupPasswordRequest,
    StorefrontLoginRequest,
    StorefrontSessionRead,
)

router = APIRouter(prefix="/storefront", tags=["storefront session"], dependencies=[STOREFRONT])


def _session_read(signed_in: service.SignedInAccount) -> StorefrontSessionRead:
    account = signed_in.account
    return StorefrontSessionRead(
        account=AccountRead(type=signed_in.account_type, id=account.id, email=account.email, name=account.name),
        customer=CustomerSummary.model_validate(signed_in.customer),
        contact=ContactSummary.model_validate(signed_in.contact) if signed_in.contact is not None else None,
        role=signed_in.role,
        company=CompanySummary.model_validate(signed_in.company),
    )


@router.post("/setup-password", responses=problem_responses(InvalidInput, Conflict, RateLimited))
async def setup_password(
    session: Session, context: Context, guard: Guard, body: SetupPasswordRequest
) -> SetupPasswordRead:
    """Set the first password of a customer's or contact's account on this storefront, once.

    An unknown email and an account that already has a password get the same answer.
    """
    company = await service.setup_password(session, guard, body, context=context)
    return SetupPasswordRead(login_path=f"/store/{company.slug}/login")


@router.post("/login", responses=problem_responses(Unauthorized, RateLimited))
async def login(
    session: Session, context: Context, principals: Principals, guard: Guard, body: StorefrontLoginRequest
) -> StorefrontSessionRead:
    """Check a customer's or contact's email and password; the gateway then opens the storefront session."""
    return _session_read(await service.login(session, principals, guard, body, context=context))


@router.get("/me", responses=problem_responses(Unauthorized))
async def me(session: Session, context: Context) -> StorefrontSessionRead:
    """The signed-in account: its customer, the contact (if a contact signed in) and the role."""
    return _session_read(await service.current_account(session, context))
