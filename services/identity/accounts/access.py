"""Who is calling in the context's company and what they may do: staff, API keys, storefront accounts.

Identity owns memberships, customers and contacts, so it checks what it holds rather than what the
context says: a role change or a removal takes effect on the very next request.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import ContactRole, StaffRole
from kit.context import RequestContext
from kit.errors import Forbidden, Unauthorized
from services.identity.accounts.repository import MembershipRepository
from services.identity.customers.repository import ContactRepository, CustomerRepository
from services.identity.models import Customer, CustomerContact, Membership

ACCOUNT_GONE = "Your account is no longer active; sign in again or contact your distributor."


@dataclass(frozen=True)
class StaffAccess:
    membership: Membership

    @property
    def role(self) -> StaffRole:
        return self.membership.role

    def require_role(self, *roles: StaffRole, action: str) -> None:
        if self.role not in roles:
            allowed = " or ".join(role.value.lower() for role in roles)
            raise Forbidden(f"Only the company's {allowed} can {action}.")


async def staff_access(session: AsyncSession, context: RequestContext) -> StaffAccess:
    """The caller's membership of the context's company, read from the database."""
    company_id = context.require_company()
    user_id = context.require_staff()
    membership = await MembershipRepository(session, company_id).for_user(user_id)
    if membership is None:
        raise Forbidden("You are not a member of this company.")
    return StaffAccess(membership)


async def staff_or_key_access(session: AsyncSession, context: RequestContext, *, scope: str) -> StaffAccess | None:
    """Any staff member of the company, or an API key of it holding `scope` (then None: keys have no role).

    The gateway already refused keys without the scope; checking again here keeps a service safe
    from a misrouted call.
    """
    if context.principal.type == "api_key":
        context.require_company()
        if not context.principal.has_scope(scope):
            raise Forbidden(f"This API key does not have the {scope} scope.")
        return None
    return await staff_access(session, context)


@dataclass(frozen=True)
class CustomerAccess:
    """A storefront caller: the customer they act for and, for a contact, the contact."""

    customer: Customer
    contact: CustomerContact | None

    @property
    def role(self) -> ContactRole:
        # The primary customer account acts as ADMIN.
        return self.contact.role if self.contact is not None else ContactRole.ADMIN

    def require_admin(self, action: str) -> None:
        if self.role is not ContactRole.ADMIN:
            raise Forbidden(f"Only your account's admins can {action}.")


async def customer_access(session: AsyncSession, context: RequestContext, *, lock: bool = False) -> CustomerAccess:
    """The signed-in customer or contact of the storefront's company, as the database has them now.

    `lock` holds the customer's row until commit, for changes to its contacts and addresses.
    """
    company_id = context.require_company()
    principal = context.principal
    if principal.id is None or principal.type not in ("customer", "contact"):
        raise Unauthorized("Sign in to your storefront account to continue.")
    contact = None
    customer_id = principal.id
    if principal.type == "contact":
        contact = await ContactRepository(session, company_id).get(principal.id)
        if contact is None:
            raise Unauthorized(ACCOUNT_GONE)
        customer_id = contact.customer_id
    customers = CustomerRepository(session, company_id)
    customer = await (customers.lock(customer_id) if lock else customers.get(customer_id))
    if customer is None:
        raise Unauthorized(ACCOUNT_GONE)
    return CustomerAccess(customer=customer, contact=contact)
