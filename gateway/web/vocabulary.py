"""The lists pages offer to choose from (roles, statuses, scopes), each defined once, from the contracts or
the route table, never copied into page modules."""

from contracts.catalog import ProductStatus
from contracts.identity import ContactRole
from contracts.orders import CANCELLABLE, NEXT_STATUS, OrderStatus
from gateway.routes import RouteTable

# Roles a team member can be invited with or given; OWNER only ever changes hands by a transfer.
ASSIGNABLE_STAFF_ROLES = ("MEMBER", "ADMIN")
CONTACT_ROLES = tuple(role.value for role in ContactRole)
PRODUCT_STATUSES = tuple(status.value for status in ProductStatus)
ACCESS_LEVELS = ("read", "write")
ORDER_STATUSES = tuple(status.value for status in OrderStatus)
# The one step an order's status may take forward, and the statuses it may still be cancelled from.
NEXT_ORDER_STATUS = {current.value: following.value for current, following in NEXT_STATUS.items()}
CANCELLABLE_ORDER_STATUSES = frozenset(status.value for status in CANCELLABLE)


def scope_resources(routes: RouteTable) -> list[str]:
    """The resources an API key can be given access to: those the route table opens to API keys."""
    return sorted({route.access.scope for route in routes.routes if route.access.scope is not None})
