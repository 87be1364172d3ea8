"""Who may use the catalog's staff API: any staff member, or an API key holding the catalog scope.

The gateway already enforced staff roles (and keeps them fresh) and API key scopes; checking the
principal again here keeps the service safe from a misrouted call.
"""

import uuid

from kit.context import RequestContext
from kit.errors import Forbidden

READ_SCOPE = "catalog:read"
WRITE_SCOPE = "catalog:write"


def catalog_access(context: RequestContext, *, scope: str) -> uuid.UUID:
    """The company the caller may read (`catalog:read`) or change (`catalog:write`) the catalog of."""
    company_id = context.require_company()
    principal = context.principal
    if principal.type == "user":
        return company_id
    if principal.type == "api_key":
        if principal.has_scope(scope):
            return company_id
        raise Forbidden(f"This API key does not have the {scope} scope.")
    raise Forbidden("Only staff members and API keys with a catalog scope can do this.")
