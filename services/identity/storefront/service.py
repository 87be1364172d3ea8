"""Storefront account rules: one-shot password setup, sign-in by email and password, the signed-in account."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import ContactRole, StorefrontPasswordSet, StorefrontSignedIn
from kit.context import RequestContext
from kit.db import utcnow
from kit.errors import Conflict, InvalidInput, Unauthorized
from kit.events import Actor
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import customer_access
from services.identity.accounts.passwords import (
    PasswordGuard,
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from services.identity.accounts.principals import PrincipalDirectory, contact_entry, customer_entry
from services.identity.accounts.service import BAD_CREDENTIALS
from services.identity.companies.repository import CompanyRepository
from services.identity.customers.repository import CustomerRepository
from services.identity.models import Company, Customer, CustomerContact
from services.identity.storefront.events import account_entity
from services.identity.storefront.repository import StorefrontAccount, StorefrontAccountRepository
from services.identity.storefront.schemas import AccountType, SetupPasswordRequest, StorefrontLoginRequest

# The spec's words, exactly: an unknown email and one whose account already has a password read the same.
NO_PENDING_ACCOUNT = "No pending account found for this email. Please contact your distributor."
PASSWORDS_DIFFER = "The passwords do not match."
DUPLICATE_CREDENTIALS = (
    "Another account with this email already uses this password. Choose a different one, "
    "so that signing in finds only your account."
)


@dataclass(frozen=True)
class SignedInAccount:
    """A storefront account with its customer: the primary account itself, or a contact of it."""

    customer: Customer
    contact: CustomerContact | None
    company: Company

    @property
    def account(self) -> StorefrontAccount:
        return self.contact if self.contact is not None else self.customer

    @property
    def account_type(self) -> AccountType:
        return account_type(self.account)

    @property
    def role(self) -> ContactRole:
        # The primary customer account acts as ADMIN.
        return self.contact.role if self.contact is not None else ContactRole.ADMIN


def account_type(account: StorefrontAccount) -> AccountType:
    return "contact" if isinstance(account, CustomerContact) else "customer"


def customer_id_of(account: StorefrontAccount) -> uuid.UUID:
    return account.customer_id if isinstance(account, CustomerContact) else account.id


def _actor(account: StorefrontAccount) -> Actor:
    return Actor(type="CUSTOMER", id=account.id)


async def setup_password(
    session: AsyncSession, guard: PasswordGuard, request: SetupPasswordRequest, *, context: RequestContext
) -> Company:
    """Give the company's oldest pending account with this email its first password; one-shot.

    A primary account comes before contacts. When another account with this email already signs in
    with the same password, it is refused: sign-in matches email and password, and must find one.
    That check tests a password, and the answer says whether the email is pending: each attempt
    counts against the same backoff as signing in with this email here.
    """
    company_id = context.require_company()
    if request.password != request.confirm_password:
        raise InvalidInput(PASSWORDS_DIFFER, errors=[{"field": "confirmPassword", "message": PASSWORDS_DIFFER}])
    guarded = PasswordGuard.storefront_account(company_id, request.email)
    await guard.attempt(guarded, attempts="password setup attempts")
    repository = StorefrontAccountRepository(session, company_id)
    accounts = await repository.with_email(request.email, lock=True)
    pending = [account for account in accounts if account.password_hash is None]
    if not pending:
        await burn_verification_time(request.password)
        raise _no_pending_account()
    for account in accounts:
        if account.password_hash is not None and await verify_password(account.password_hash, request.password):
            raise Conflict(DUPLICATE_CREDENTIALS, errors=[{"field": "password", "message": DUPLICATE_CREDENTIALS}])

    account = pending[0]
    # Set only if still unset, in one statement: two setups at once cannot both succeed, on SQLite
    # (which ignores the row locks above) as on PostgreSQL; the later one finds nothing pending.
    if not await repository.set_first_password(account, await hash_password(request.password), utcnow()):
        raise _no_pending_account()
    await guard.succeeded(guarded)
    kind = account_type(account)
    await emit(
        session,
        StorefrontPasswordSet(
            account_type=kind, id=account.id, customer_id=customer_id_of(account), email=account.email
        ),
        company_id=company_id,
        entity=account_entity(kind, account),
        context=context,
        actor=_actor(account),
    )
    return found(await CompanyRepository(session).get(company_id), "Company")


def _no_pending_account() -> InvalidInput:
    return InvalidInput(NO_PENDING_ACCOUNT, errors=[{"field": "email", "message": NO_PENDING_ACCOUNT}])


async def login(
    session: AsyncSession,
    principals: PrincipalDirectory,
    guard: PasswordGuard,
    request: StorefrontLoginRequest,
    *,
    context: RequestContext,
) -> SignedInAccount:
    """The one account of this storefront's company whose email and password both match.

    Each attempt counts against this email's backoff on this storefront (shared with password setup).
    """
    company_id = context.require_company()
    guarded = PasswordGuard.storefront_account(company_id, request.email)
    await guard.attempt(guarded)
    accounts = await StorefrontAccountRepository(session, company_id).with_email(request.email)
    candidates = [account for account in accounts if account.password_hash is not None]
    if not candidates:
        await burn_verification_time(request.password)
        raise Unauthorized(BAD_CREDENTIALS)
    matches = [
        account
        for account in candidates
        if account.password_hash is not None and await verify_password(account.password_hash, request.password)
    ]
    # Setup refuses a password another account with this email uses, so two matches cannot happen;
    # if they ever did, signing in as either would be a guess.
    if len(matches) != 1:
        raise Unauthorized(BAD_CREDENTIALS)
    [account] = matches
    if account.password_hash is not None and needs_rehash(account.password_hash):
        account.password_hash = await hash_password(request.password)

    signed_in = await _signed_in(session, account, company_id)
    kind = signed_in.account_type
    await emit(
        session,
        StorefrontSignedIn(account_type=kind, id=account.id, customer_id=signed_in.customer.id, method="password"),
        company_id=company_id,
        # A sign-in changes nothing of the account: the event carries its version as it stands.
        entity=account_entity(kind, account),
        context=context,
        actor=_actor(account),
    )
    entry = contact_entry(account) if isinstance(account, CustomerContact) else customer_entry(account)
    principals.publish_after_commit(session, entry)
    await guard.succeeded(guarded)
    return signed_in


async def _signed_in(session: AsyncSession, account: StorefrontAccount, company_id: uuid.UUID) -> SignedInAccount:
    company = found(await CompanyRepository(session).get(company_id), "Company")
    if isinstance(account, CustomerContact):
        customer = found(await CustomerRepository(session, company_id).get(account.customer_id), "Customer")
        return SignedInAccount(customer=customer, contact=account, company=company)
    return SignedInAccount(customer=account, contact=None, company=company)


async def current_account(session: AsyncSession, context: RequestContext) -> SignedInAccount:
    access = await customer_access(session, context)
    company = found(await CompanyRepository(session).get(access.customer.company_id), "Company")
    return SignedInAccount(customer=access.customer, contact=access.contact, company=company)
