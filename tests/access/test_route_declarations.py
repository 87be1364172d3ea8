"""Every service route declares one access, and it is the access the gateway's route table gives its path."""

import importlib
from types import ModuleType

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import SecretStr

from deploy.components import SERVICES, service_settings_class
from gateway.routes import GATEWAY, ROUTES, Route, RouteTable, public_path_of
from kit.access import RouteAccess, declared_access
from kit.settings import PlatformSettings
from tests.support.access import concrete_path

# A path parameter's stand-in when a service path is published: an id, as no fixed segment is.
SAMPLE_ID = "0190a0a0-0000-7000-8000-000000000001"


def service_app(name: str) -> tuple[ModuleType, FastAPI]:
    """The service's module and its app as start-up builds it (no server is contacted until its lifespan)."""
    module = importlib.import_module(f"services.{name}.app")
    platform = PlatformSettings(internal_secret=SecretStr("route-declarations-test-" + "x" * 32))
    settings = service_settings_class(name)(database_url="postgresql+asyncpg://unused/db")
    app: FastAPI = module.create_app(settings, platform)
    return module, app


def service_routes() -> list[tuple[str, APIRoute]]:
    routes: list[tuple[str, APIRoute]] = []
    for name in SERVICES:
        module, _ = service_app(name)
        for router in module.SPEC.routers:
            routes.extend((name, route) for route in router.routes if isinstance(route, APIRoute))
    return routes


@pytest.mark.parametrize("name", SERVICES)
def test_every_route_of_every_service_declares_exactly_one_access(name: str) -> None:
    module, app = service_app(name)
    routes = [route for router in module.SPEC.routers for route in router.routes]
    assert all(isinstance(route, APIRoute) for route in routes)

    undeclared = {
        f"{sorted(route.methods or ())} {route.path}": [access.kind for access in declared_access(route)]
        for route in routes
        if isinstance(route, APIRoute) and len(declared_access(route)) != 1
    }

    assert undeclared == {}
    # The app's own OpenAPI route is the gateway's alone.
    openapi = next(route for route in app.router.routes if getattr(route, "path", None) == "/openapi.json")
    assert isinstance(openapi, APIRoute)
    assert [access.kind for access in declared_access(openapi)] == ["internal"]


def as_gateway_declares(route: Route) -> RouteAccess:
    return RouteAccess(route.access.kind, route.access.roles, route.access.scope)


def test_each_service_route_has_the_access_the_gateway_gives_its_public_path() -> None:
    table = RouteTable()
    disagreements = []
    for service, route in service_routes():
        (access,) = declared_access(route)
        public_path = concrete_path(public_path_of(route.path), {"slug": "acme"} | _ids(route.path))
        for method in sorted(route.methods or ()):
            found = table.find(method, public_path)
            where = f"{service} {method} {route.path}"
            if access.kind == "internal":
                if found is not None:
                    disagreements.append(f"{where}: internal, yet the gateway publishes it")
                continue
            if found is None or found.route.service != service:
                disagreements.append(f"{where}: the gateway does not route it to {service}")
            elif as_gateway_declares(found.route) != access:
                disagreements.append(f"{where}: declares {access}, the gateway {found.route.access}")
    assert disagreements == []


def test_every_gateway_route_to_a_service_agrees_with_the_routes_it_reaches() -> None:
    table = RouteTable()
    reached: dict[Route, list[RouteAccess]] = {route: [] for route in ROUTES if route.service != GATEWAY}
    for service, route in service_routes():
        (access,) = declared_access(route)
        if access.kind == "internal":
            continue
        public_path = concrete_path(public_path_of(route.path), {"slug": "acme"} | _ids(route.path))
        for method in route.methods or ():
            found = table.find(method, public_path)
            if found is not None and found.route.service == service:
                reached[found.route].append(access)

    disagreeing = {
        f"{sorted(route.methods) or 'ANY'} {route.pattern}": accesses
        for route, accesses in reached.items()
        if any(access != as_gateway_declares(route) for access in accesses)
    }
    assert disagreeing == {}
    # The routes above are compared only where a service has built them; these name what the check covers.
    covered = {route.pattern for route, accesses in reached.items() if accesses}
    assert {"/api/v1/orders/limits", "/api/v1/audit-logs", "/api/v1/members", "/store/{slug}/api/products"} <= covered


def _ids(path: str) -> dict[str, str]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
    return {name: SAMPLE_ID for name in names if name != "slug"}
