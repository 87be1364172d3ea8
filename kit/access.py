"""Who may call a service route: one declaration per route, checked by the service itself."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from kit.context import Context, RequestContext
from kit.errors import Forbidden, NotFound, Unauthorized

AccessKind = Literal["public", "staff", "storefront", "internal"]

STAFF_ROLES: frozenset[str] = frozenset({"OWNER", "ADMIN", "MEMBER"})
# Methods an API key may call with `{scope}:read`; every other method needs `{scope}:write`.
SAFE_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
STOREFRONT_PRINCIPALS: frozenset[str] = frozenset({"anonymous", "customer", "contact"})
_ROLE_ORDER = ("OWNER", "ADMIN", "MEMBER")

# The gateway authorizes every public call from its route table (`gateway.routes`); services check
# again from the signed context, so a call the gateway mis-routed or mis-authorized is still refused.
# Each route takes exactly one of `staff(...)`, `STOREFRONT`, `PUBLIC` or `INTERNAL` in its (or its
# router's) `dependencies`, and `kit.service.create_service_app` refuses to build a service otherwise.
# The semantics mirror `gateway.routes.Access`; tests/access/test_route_declarations.py holds the
# service declarations and the gateway's table to each other.


@dataclass(frozen=True)
class RouteAccess:
    """Who may call a route.

    `public`: anyone with a valid context. `staff`: a staff member of the context's company whose
    role is in `roles`, or an API key holding `{scope}:read` (safe methods) or `{scope}:write` (the
    rest) when the route names a `scope`. `storefront`: a storefront's company (from the slug) and
    an anonymous caller, customer or contact; never staff nor API keys. `internal`: only the
    gateway's own calls (`RequestContext.internal`); to anyone else the route does not exist.
    """

    kind: AccessKind
    roles: frozenset[str] = frozenset()
    scope: str | None = None

    def describe_roles(self) -> str:
        return " or ".join(role for role in _ROLE_ORDER if role in self.roles)

    def check(self, context: RequestContext, method: str) -> None:
        """Refuse the call: 401 without a needed sign-in, 403 for the wrong caller, 404 off-internal."""
        if self.kind == "internal":
            if not context.internal:
                raise NotFound("There is no endpoint at this path.")
        elif self.kind == "staff":
            self.check_staff(context, write=method.upper() not in SAFE_METHODS)
        elif self.kind == "storefront":
            if context.company_id is None:
                raise Unauthorized("This endpoint is only available on a storefront.")
            if context.principal.type not in STOREFRONT_PRINCIPALS:
                raise Forbidden("Only storefront customers and their contacts can use the storefront.")

    def check_staff(self, context: RequestContext, *, write: bool) -> None:
        """Refuse anyone but staff of the role, or an API key holding `{scope}:read`/`:write`."""
        principal = context.principal
        if principal.type == "anonymous" or context.company_id is None:
            raise Unauthorized("Sign in to continue.")
        if principal.type == "api_key":
            if self.scope is None:
                raise Forbidden("Only staff members can do this.")
            needed = f"{self.scope}:{'write' if write else 'read'}"
            if not principal.has_scope(needed):
                raise Forbidden(f"This API key does not have the {needed} scope.")
            return
        if principal.type != "user" or principal.id is None:
            raise Forbidden("Only staff members can do this.")
        if principal.role not in self.roles:
            raise Forbidden(f"This requires the {self.describe_roles()} role.")


class AccessCheck:
    """The FastAPI dependency enforcing one `RouteAccess`; start-up finds it on every route."""

    def __init__(self, access: RouteAccess) -> None:
        self.access = access

    async def __call__(self, request: Request, context: Context) -> RequestContext:
        self.access.check(context, request.method)
        return context

    def __repr__(self) -> str:
        return f"AccessCheck({self.access!r})"


def declare(access: RouteAccess) -> Any:
    """`access` as a dependency for a route's (or a router's) `dependencies=[...]`."""
    return Depends(AccessCheck(access))


def staff(*roles: str, scope: str | None = None) -> Any:
    """Staff with one of `roles` (every staff role when none is named); API keys only with `scope`.

    Roles are `contracts.identity.StaffRole` values (kit sits below contracts, so it checks them here).
    """
    unknown = set(roles) - STAFF_ROLES
    if unknown:
        raise ValueError(f"unknown staff roles {sorted(unknown)}; staff roles are {', '.join(_ROLE_ORDER)}")
    return declare(RouteAccess("staff", frozenset(roles) or STAFF_ROLES, scope))


PUBLIC: Any = declare(RouteAccess("public"))
STOREFRONT: Any = declare(RouteAccess("storefront"))
INTERNAL: Any = declare(RouteAccess("internal"))


def require_staff_or_key(context: RequestContext, scope: str) -> uuid.UUID:
    """The context's company if its caller is staff, or an API key holding `scope` (`catalog:write`).

    For service code that checks again below the route (the route's `staff(scope=...)` already did).
    """
    resource, _, action = scope.partition(":")
    RouteAccess("staff", STAFF_ROLES, resource).check_staff(context, write=action != "read")
    return context.require_company()


def _access_checks(dependant: Dependant) -> Iterator[AccessCheck]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, AccessCheck):
            yield dependency.call
        yield from _access_checks(dependency)


def declared_access(route: APIRoute) -> list[RouteAccess]:
    """Every access the route declares, its router's included (a sound route has exactly one)."""
    return [check.access for check in _access_checks(route.dependant)]


def route_access(route: APIRoute) -> RouteAccess:
    """The route's one access; `ValueError` naming the route when it declares none or several."""
    declared = declared_access(route)
    if len(declared) != 1:
        methods = ",".join(sorted(route.methods or ()))
        found = ", ".join(access.kind for access in declared) or "none"
        raise ValueError(
            f"Route {methods} {route.path} ({route.name}) must declare exactly one access "
            f"(kit.access: staff(...), STOREFRONT, PUBLIC or INTERNAL); it declares {found}."
        )
    return declared[0]
