"""Who the signed-in staff member is in the context's company, and what their role lets them do."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kit.context import RequestContext
from kit.errors import Forbidden
from services.identity.accounts.repository import MembershipRepository
from services.identity.models import Membership, StaffRole


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
    """The caller's membership of the context's company, read from the database.

    Identity owns memberships, so it checks the role it holds rather than the one in the context:
    a role change or a removal takes effect on the very next request.
    """
    company_id = context.require_company()
    user_id = context.require_staff()
    membership = await MembershipRepository(session, company_id).for_user(user_id)
    if membership is None:
        raise Forbidden("You are not a member of this company.")
    return StaffAccess(membership)
