"""The route table: which service owns each path, who may call it, how storefront paths map."""

import pytest

from gateway.routes import GATEWAY, MethodNotAllowed, RouteTable, public_path_of
from kit.errors import NotFound

table = RouteTable()


@pytest.mark.parametrize(
    ("method", "path", "service", "upstream"),
    [
        ("POST", "/api/v1/signup", "identity", "/api/v1/signup"),
        ("POST", "/api/v1/auth/logout", GATEWAY, "/api/v1/auth/logout"),
        ("GET", "/api/v1/customers/c1/documents", "orders", "/api/v1/customers/c1/documents"),
        ("POST", "/api/v1/customers/c1/documents/d1", "orders", "/api/v1/customers/c1/documents/d1"),
        ("GET", "/api/v1/customers/c1", "identity", "/api/v1/customers/c1"),
        ("PATCH", "/api/v1/customers/c1/contacts/k1", "identity", "/api/v1/customers/c1/contacts/k1"),
        ("GET", "/api/v1/customers", "identity", "/api/v1/customers"),
        ("GET", "/api/v1/catalog/limits", "catalog", "/api/v1/catalog/limits"),
        ("GET", "/api/v1/orders/limits", "orders", "/api/v1/orders/limits"),
        ("POST", "/api/v1/orders/o1/cancel", "orders", "/api/v1/orders/o1/cancel"),
        ("GET", "/api/v1/documents/d1/download", "orders", "/api/v1/documents/d1/download"),
        ("GET", "/api/v1/price-overrides", "catalog", "/api/v1/price-overrides"),
        ("GET", "/api/v1/audit-logs/export", "audit", "/api/v1/audit-logs/export"),
        ("POST", "/api/v1/webhooks/w1/rotate-secret", "webhooks", "/api/v1/webhooks/w1/rotate-secret"),
        ("DELETE", "/api/v1/api-keys/k1", "identity", "/api/v1/api-keys/k1"),
        ("GET", "/store/acme/api/products/p1", "catalog", "/storefront/products/p1"),
        ("POST", "/store/acme/api/orders", "orders", "/storefront/orders"),
        ("GET", "/store/acme/api/documents/d1/download", "orders", "/storefront/documents/d1/download"),
        ("POST", "/store/acme/api/setup-password", "identity", "/storefront/setup-password"),
        ("PATCH", "/store/acme/api/contacts/k1", "identity", "/storefront/contacts/k1"),
    ],
)
def test_paths_go_to_their_owning_service(method: str, path: str, service: str, upstream: str) -> None:
    match = table.match(method, path)

    assert match.route.service == service
    assert match.upstream_path == upstream


def test_storefront_match_carries_the_slug() -> None:
    assert table.match("GET", "/store/blue-plate/api/products").slug == "blue-plate"
    assert table.match("GET", "/api/v1/products").slug is None


@pytest.mark.parametrize(
    "path", ["/api/v1/unknown", "/api/v1/productsx", "/api/v2/products", "/store/acme/api/internal", "/internal/x"]
)
def test_unrouted_paths_are_not_found(path: str) -> None:
    with pytest.raises(NotFound):
        table.match("GET", path)


def test_a_known_path_with_the_wrong_method_is_405() -> None:
    with pytest.raises(MethodNotAllowed) as refused:
        table.match("PUT", "/api/v1/company")

    assert refused.value.headers["Allow"] == "DELETE, GET, HEAD, PATCH"


def test_roles_per_route() -> None:
    assert table.staff_role_may("MEMBER", "GET", "/api/v1/company")
    assert not table.staff_role_may("MEMBER", "PATCH", "/api/v1/company")
    assert table.staff_role_may("ADMIN", "PATCH", "/api/v1/company")
    assert not table.staff_role_may("ADMIN", "POST", "/api/v1/subscription")
    assert table.staff_role_may("OWNER", "DELETE", "/api/v1/company")
    assert not table.staff_role_may("ADMIN", "DELETE", "/api/v1/company")
    assert not table.staff_role_may("MEMBER", "DELETE", "/api/v1/company")
    assert not table.staff_role_may("MEMBER", "GET", "/api/v1/audit-logs")
    assert table.staff_role_may("MEMBER", "POST", "/api/v1/orders")
    assert table.match("GET", "/api/v1/audit-logs").route.access.scope == "audit"


def test_service_paths_publish_under_the_storefront_prefix() -> None:
    assert public_path_of("/storefront/products/{id}") == "/store/{slug}/api/products/{id}"
    assert public_path_of("/api/v1/plans") == "/api/v1/plans"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        # Exact public routes inside a staff prefix: another method must not fall through to the prefix's rules.
        ("TRACE", "/api/v1/invites/lookup", "POST"),
        ("DELETE", "/api/v1/invites/accept", "POST"),
        ("POST", "/api/v1/orders/limits", "GET, HEAD"),
    ],
)
def test_a_path_named_exactly_is_405_for_other_methods_not_a_prefix_routes_call(
    method: str, path: str, allow: str
) -> None:
    with pytest.raises(MethodNotAllowed) as refused:
        table.match(method, path)

    assert refused.value.headers["Allow"] == allow
