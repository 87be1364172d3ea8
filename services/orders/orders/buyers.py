"""Who is ordering on a storefront: the signed-in account (the customer's own, or one contact's) and its customer."""

import uuid
from dataclasses import dataclass

from kit.context import Principal, RequestContext
from kit.errors import Forbidden, Unauthorized

# Contact roles that may fill a cart and order; the customer's own account acts as ADMIN. VIEWER only reads.
BUYING_ROLES = frozenset({"ADMIN", "BUYER"})


@dataclass(frozen=True)
class StorefrontAccount:
    company_id: uuid.UUID
    # The customer's own account id, or the contact's: whose cart it is.
    account_id: uuid.UUID
    customer_id: uuid.UUID
    principal: Principal


def storefront_account(context: RequestContext, *, buying: bool) -> StorefrontAccount:
    """The signed-in storefront account: 401 for a guest; with `buying`, 403 for a VIEWER."""
    company_id = context.require_company()
    principal = context.principal
    if principal.type == "anonymous":
        raise Unauthorized("Sign in to your account to see your cart and orders.")
    if principal.type not in ("customer", "contact") or principal.id is None or principal.customer_id is None:
        raise Forbidden("Only customers and their contacts can order on the storefront.")
    if buying and principal.role not in BUYING_ROLES:
        raise Forbidden(
            "Your account can see orders but not place them. "
            "Ask your company's account administrator for the Buyer role."
        )
    return StorefrontAccount(company_id, principal.id, principal.customer_id, principal)
