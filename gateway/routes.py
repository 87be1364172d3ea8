"""The route table: which service owns each public path, and who may call it.

One declarative list, read top to bottom, first match wins (so a specific path comes before the
prefix that would also match it). Adding an endpoint under a listed prefix needs no change here.
"""

import re
from dataclasses import dataclass, field
from typing import Literal

from gateway.paths import checked_decoded_path, upstream_target
from kit.errors import NotFound, ProblemError

ANY_METHOD: frozenset[str] = frozenset()
STAFF_ROLES = frozenset({"OWNER", "ADMIN", "MEMBER"})
STORE_PREFIX = "/store/{slug}/api"
STOREFRONT_UPSTREAM_PREFIX = "/storefront"
# The gateway answers these itself instead of forwarding them.
GATEWAY = "gateway"
# Services' own paths no public route may reach: only the gateway's own calls (Upstreams.call_internal).
INTERNAL_PREFIX = "/internal"
# A CSV import's largest body: catalog's own limit (services/catalog/products/endpoints.py
# MAX_IMPORT_BYTES), so the gateway passes every file catalog would accept and nothing larger.
CSV_IMPORT_BODY_BYTES = 20 * 1024 * 1024
# A document upload's largest body: orders' own limit (services/orders/documents/uploads.py MAX_BODY_BYTES, a
# 10 MiB file and 64 KiB of multipart framing and fields), so the gateway passes every upload orders would
# accept and nothing larger.
DOCUMENT_UPLOAD_BODY_BYTES = 10 * 1024 * 1024 + 64 * 1024

AccessKind = Literal["public", "staff", "storefront"]


@dataclass(frozen=True)
class Access:
    """Who may call a route.

    `public`: anyone (a signed-in caller's context is still forwarded). `staff`: a staff session
    whose role is in `roles`, or an API key (below). `storefront`: anyone on a storefront that
    exists; the company comes from the slug, the principal from the storefront session or anonymous
    (the owning service decides what an anonymous caller may see).
    An API key may call a `staff` route only if the route names a `scope` and the key holds
    `{scope}:read` (safe methods) or `{scope}:write` (the rest); routes without one are staff-only.
    """

    kind: AccessKind
    roles: frozenset[str] = frozenset()
    scope: str | None = None

    def describe_roles(self) -> str:
        ordered = [role for role in ("OWNER", "ADMIN", "MEMBER") if role in self.roles]
        return " or ".join(ordered)


PUBLIC = Access("public")
STOREFRONT = Access("storefront")


def staff(*roles: str, scope: str | None = None) -> Access:
    """Staff access for the given roles (all staff roles when none are named)."""
    return Access("staff", frozenset(roles) or STAFF_ROLES, scope)


OWNER_OR_ADMIN = ("OWNER", "ADMIN")

SessionEffect = Literal["none", "establish_staff", "establish_storefront"]


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    pattern: str
    service: str
    access: Access
    # `prefix`: also matches every path below `pattern` (`/api/v1/orders/...`).
    prefix: bool = False
    # `establish_staff`: a 2xx answer {membershipId, user, company} opens a staff session (signup,
    # login, accepting an invite); `establish_storefront`: {account, company} opens a storefront one.
    session: SessionEffect = "none"
    # Name of the rate-limit bucket counted before forwarding (login attempts), if any.
    rate_limit: str | None = None
    # Largest request body in bytes, refused with 413 before it is read; None: the gateway's default
    # (GATEWAY_MAX_BODY_BYTES, sized for JSON). Uploads declare their own.
    max_body_bytes: int | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.pattern == INTERNAL_PREFIX or self.pattern.startswith(INTERNAL_PREFIX + "/"):
            raise ValueError(f"{self.pattern}: services' internal paths are never public routes")
        object.__setattr__(self, "regex", _compile(self.pattern, self.prefix))

    @property
    def is_storefront(self) -> bool:
        return self.pattern.startswith(STORE_PREFIX)

    def allows_method(self, method: str) -> bool:
        # HEAD is GET without the body (RFC 9110 §9.3.2): wherever GET is allowed, so is HEAD.
        return not self.methods or method in self.methods or (method == "HEAD" and "GET" in self.methods)

    @property
    def allowed_methods(self) -> frozenset[str]:
        """The methods named in `Allow` when another one is refused."""
        return self.methods | {"HEAD"} if "GET" in self.methods else self.methods


def _compile(pattern: str, prefix: bool) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", pattern)
    regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)" for index, part in enumerate(parts))
    return re.compile("^" + regex + ("(?:/.*)?" if prefix else "") + "$")


def _methods(*names: str) -> frozenset[str]:
    return frozenset(names)


GET, POST, PATCH, DELETE = _methods("GET"), _methods("POST"), _methods("PATCH"), _methods("DELETE")


def _store(path: str) -> str:
    return STORE_PREFIX + path


ROUTES: tuple[Route, ...] = (
    # Signing in and out.
    Route(POST, "/api/v1/signup", "identity", PUBLIC, session="establish_staff", rate_limit="signup"),
    Route(POST, "/api/v1/auth/login", "identity", PUBLIC, session="establish_staff", rate_limit="login"),
    Route(POST, "/api/v1/auth/logout", GATEWAY, PUBLIC),
    Route(GET, "/api/v1/me", "identity", staff()),
    # Company, plans, billing.
    Route(GET, "/api/v1/company", "identity", staff()),
    Route(PATCH, "/api/v1/company", "identity", staff(*OWNER_OR_ADMIN)),
    # Deleting the company: the owner alone, who confirms it by typing the company's slug.
    Route(DELETE, "/api/v1/company", "identity", staff("OWNER")),
    Route(GET, "/api/v1/plans", "identity", PUBLIC),
    Route(GET, "/api/v1/subscription", "identity", staff()),
    Route(POST, "/api/v1/subscription", "identity", staff("OWNER")),
    # Team, customers, API keys (identity). Accepting an invite is done by someone not yet on the team.
    Route(POST, "/api/v1/invites/lookup", "identity", PUBLIC, rate_limit="invite-lookup"),
    Route(POST, "/api/v1/invites/accept", "identity", PUBLIC, session="establish_staff", rate_limit="login"),
    Route(ANY_METHOD, "/api/v1/members", "identity", staff(*OWNER_OR_ADMIN), prefix=True),
    Route(ANY_METHOD, "/api/v1/invites", "identity", staff(*OWNER_OR_ADMIN), prefix=True),
    Route(ANY_METHOD, "/api/v1/api-keys", "identity", staff(*OWNER_OR_ADMIN), prefix=True),
    # The per-customer file vault belongs to orders, the rest of a customer to identity.
    Route(
        ANY_METHOD,
        "/api/v1/customers/{id}/documents",
        "orders",
        staff(scope="documents"),
        prefix=True,
        max_body_bytes=DOCUMENT_UPLOAD_BODY_BYTES,
    ),
    Route(ANY_METHOD, "/api/v1/customers", "identity", staff(scope="customers"), prefix=True),
    # Catalog.
    Route(GET, "/api/v1/catalog/limits", "catalog", staff(scope="catalog")),
    Route(POST, "/api/v1/products/import", "catalog", staff(scope="catalog"), max_body_bytes=CSV_IMPORT_BODY_BYTES),
    Route(ANY_METHOD, "/api/v1/products", "catalog", staff(scope="catalog"), prefix=True),
    Route(ANY_METHOD, "/api/v1/price-overrides", "catalog", staff(scope="catalog"), prefix=True),
    # Orders and documents.
    Route(GET, "/api/v1/orders/limits", "orders", staff(scope="orders")),
    # An order's invoice and packing list are documents: `documents:read` reads them.
    Route(GET, "/api/v1/orders/{id}/documents", "orders", staff(scope="documents")),
    Route(ANY_METHOD, "/api/v1/orders", "orders", staff(scope="orders"), prefix=True),
    Route(ANY_METHOD, "/api/v1/documents", "orders", staff(scope="documents"), prefix=True),
    # Webhooks and the audit log.
    Route(ANY_METHOD, "/api/v1/webhooks", "webhooks", staff(*OWNER_OR_ADMIN, scope="webhooks"), prefix=True),
    Route(ANY_METHOD, "/api/v1/audit-logs", "audit", staff(*OWNER_OR_ADMIN, scope="audit"), prefix=True),
    # Storefront API: `/store/{slug}/api/X` is `/storefront/X` at the service, for the slug's company.
    Route(POST, _store("/login"), "identity", STOREFRONT, session="establish_storefront", rate_limit="store-login"),
    Route(POST, _store("/logout"), GATEWAY, STOREFRONT),
    Route(GET, _store("/me"), "identity", STOREFRONT),
    Route(POST, _store("/setup-password"), "identity", STOREFRONT, rate_limit="setup-password"),
    Route(ANY_METHOD, _store("/addresses"), "identity", STOREFRONT, prefix=True),
    Route(ANY_METHOD, _store("/contacts"), "identity", STOREFRONT, prefix=True),
    Route(ANY_METHOD, _store("/products"), "catalog", STOREFRONT, prefix=True),
    Route(GET, _store("/categories"), "catalog", STOREFRONT),
    Route(ANY_METHOD, _store("/orders"), "orders", STOREFRONT, prefix=True),
    Route(ANY_METHOD, _store("/cart"), "orders", STOREFRONT, prefix=True),
    Route(ANY_METHOD, _store("/documents"), "orders", STOREFRONT, prefix=True),
)


class MethodNotAllowed(ProblemError):
    status = 405
    title = "Method not allowed"
    slug = "method-not-allowed"


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path: str
    # The request target at the owning service, built from `path` alone (the one authorized) with
    # each segment percent-encoded: the same for `/api/v1`, `/storefront/...` for storefront paths.
    upstream_path: str
    slug: str | None = None


class RouteTable:
    def __init__(self, routes: tuple[Route, ...] = ROUTES) -> None:
        self.routes = routes

    def match(self, method: str, path: str) -> RouteMatch:
        """The route for this call; 400 for a path no route may see (`gateway.paths`), 404 when no
        route has the path, 405 when none takes the method (with `Allow`)."""
        # Pages call here with paths they built from form fields: the same rules as a client's path.
        checked_decoded_path(path)
        allowed: set[str] = set()
        for route in self.routes:
            # A path that routes name exactly belongs to them: another method there is a 405 naming theirs,
            # not a call for the prefix route further down (which would authorize it by other rules).
            if allowed and route.prefix:
                continue
            found = route.regex.match(path)
            if found is None:
                continue
            if not route.allows_method(method):
                allowed |= route.allowed_methods
                continue
            slug = found.groupdict().get("slug") if route.is_storefront else None
            return RouteMatch(route, path, upstream_target(upstream_path(path, slug)), slug)
        if allowed:
            raise MethodNotAllowed(
                f"{method} is not supported on {path}.", headers={"Allow": ", ".join(sorted(allowed))}
            )
        raise NotFound(f"There is no API endpoint at {path}.")

    def find(self, method: str, path: str) -> RouteMatch | None:
        try:
            return self.match(method, path)
        except ProblemError:
            return None

    def staff_role_may(self, role: str | None, method: str, path: str) -> bool:
        """Whether a staff member with `role` may call this route (pages hide what they may not use)."""
        found = self.find(method, path)
        if found is None:
            return False
        access = found.route.access
        return access.kind == "public" or (access.kind == "staff" and role in access.roles)


def upstream_path(path: str, slug: str | None) -> str:
    if slug is None:
        return path
    public_prefix = STORE_PREFIX.replace("{slug}", slug)
    return STOREFRONT_UPSTREAM_PREFIX + path[len(public_prefix) :]


def public_path_of(service_path: str) -> str:
    """Where a service's own path is published: `/storefront/X` becomes `/store/{slug}/api/X`."""
    if service_path.startswith(STOREFRONT_UPSTREAM_PREFIX + "/"):
        return STORE_PREFIX + service_path[len(STOREFRONT_UPSTREAM_PREFIX) :]
    return service_path
