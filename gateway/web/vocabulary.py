"""The lists pages offer to choose from (roles, statuses, scopes), each defined once, from the contracts or
the route table, never copied into page modules."""

from contracts.catalog import ProductStatus
from contracts.identity import ContactRole
from gateway.routes import RouteTable

# Roles a team member can be invited with or given; OWNER only ever changes hands by a transfer.
ASSIGNABLE_STAFF_ROLES = ("MEMBER", "ADMIN")
CONTACT_ROLES = tuple(role.value for role in ContactRole)
PRODUCT_STATUSES = tuple(status.value for status in ProductStatus)
ACCESS_LEVELS = ("read", "write")


def scope_resources(routes: RouteTable) -> list[str]:
    """The resources an API key can be given access to: those the route table opens to API keys."""
    return sorted({route.access.scope for route in routes.routes if route.access.scope is not None})
