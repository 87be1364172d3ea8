"""One OpenAPI document for the public API, merged from the services' documents, and its docs page."""

from typing import Any

from tests.gateway.conftest import GatewayHarness


def _document(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _operation(schema: str) -> dict[str, Any]:
    return {
        "responses": {"200": {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}}
    }


async def test_merges_routed_paths_rewrites_storefront_paths_and_keeps_schemas_apart(gateway: GatewayHarness) -> None:
    gateway.services["identity"].openapi = _document(
        {
            "/api/v1/signup": {"post": _operation("Session")},
            "/api/v1/company": {"get": _operation("Company"), "patch": _operation("Company")},
            "/storefront/me": {"get": _operation("Contact")},
            "/internal/storefronts/{slug}": {"get": _operation("Company")},
        },
        {"Session": {"type": "object"}, "Company": {"type": "object"}, "Contact": {"type": "object"}},
    )
    gateway.services["catalog"].openapi = _document(
        {"/storefront/products": {"get": _operation("Product")}, "/api/v1/orders": {"get": _operation("Product")}},
        {"Product": {"type": "object"}, "Company": {"type": "object", "title": "catalog's own"}},
    )

    response = await gateway.client.get("/api/v1/openapi.json")

    document = response.json()
    paths = document["paths"]
    assert set(paths) == {
        "/api/v1/auth/logout",
        "/api/v1/signup",
        "/api/v1/company",
        "/store/{slug}/api/logout",
        "/store/{slug}/api/me",
        "/store/{slug}/api/products",
    }
    assert paths["/api/v1/auth/logout"]["post"]["responses"]["204"]
    assert paths["/store/{slug}/api/products"]["get"]["parameters"][0]["name"] == "slug"
    assert "OWNER or ADMIN" in paths["/api/v1/company"]["patch"]["description"]
    schemas = document["components"]["schemas"]
    assert schemas["Company"] == {"type": "object"}
    assert schemas["CatalogCompany"] == {"type": "object", "title": "catalog's own"}
    # The services' documents were fetched with a context addressed to each of them.
    identity = gateway.services["identity"]
    assert identity.context_of(identity.calls_to("/openapi.json")[0]).principal.type == "anonymous"


async def test_service_documents_are_cached_after_the_first_success(gateway: GatewayHarness) -> None:
    gateway.services["identity"].openapi = _document({"/api/v1/plans": {"get": _operation("Plan")}}, {})

    await gateway.client.get("/api/v1/openapi.json")
    second = await gateway.client.get("/api/v1/openapi.json")

    assert "/api/v1/plans" in second.json()["paths"]
    assert len(gateway.services["identity"].calls_to("/openapi.json")) == 1
    # Services that had no document yet are asked again next time.
    assert len(gateway.services["audit"].calls_to("/openapi.json")) == 2


async def test_docs_page_uses_local_swagger_assets(gateway: GatewayHarness) -> None:
    page = await gateway.client.get("/api/docs")
    script = await gateway.client.get("/api/docs/assets/swagger-ui-bundle.js")

    assert page.status_code == 200
    assert 'src="/api/docs/assets/swagger-ui-bundle.js"' in page.text
    assert "/api/v1/openapi.json" in page.text
    assert "http" not in page.text.replace("http-equiv", "")
    assert script.status_code == 200


async def test_each_operation_names_the_credentials_it_accepts(gateway: GatewayHarness) -> None:
    gateway.services["identity"].openapi = _document(
        {
            "/api/v1/plans": {"get": _operation("Plan")},
            "/api/v1/members": {"get": _operation("Plan"), "post": _operation("Plan")},
            "/api/v1/customers": {"get": _operation("Plan"), "post": _operation("Plan")},
            "/storefront/addresses": {"get": _operation("Plan"), "post": _operation("Plan")},
            "/storefront/login": {"post": _operation("Plan")},
        },
        {"Plan": {"type": "object"}},
    )

    document = (await gateway.client.get("/api/v1/openapi.json")).json()

    paths = document["paths"]
    staff: dict[str, list[str]] = {"staffSession": []}
    staff_change = {**staff, "csrfToken": [], "csrfCookie": []}
    store: dict[str, list[str]] = {"storefrontSession": []}
    store_change = {**store, "csrfToken": [], "csrfCookie": []}
    assert paths["/api/v1/plans"]["get"]["security"] == []
    # Team routes name no scope: staff only, no API key.
    assert paths["/api/v1/members"]["get"]["security"] == [staff]
    assert paths["/api/v1/members"]["post"]["security"] == [staff_change]
    assert paths["/api/v1/customers"]["get"]["security"] == [staff, {"apiKey": []}]
    assert paths["/api/v1/customers"]["post"]["security"] == [staff_change, {"apiKey": []}]
    assert "`customers:write` scope" in paths["/api/v1/customers"]["post"]["description"]
    assert paths["/store/{slug}/api/addresses"]["get"]["security"] == [store, {}]
    assert paths["/store/{slug}/api/addresses"]["post"]["security"] == [store_change, {}]
    # Signing in needs no session, and no CSRF token.
    assert paths["/store/{slug}/api/login"]["post"]["security"] == []
    schemes = document["components"]["securitySchemes"]
    assert (schemes["staffSession"]["in"], schemes["staffSession"]["name"]) == ("cookie", "distribu_session")
    assert (schemes["storefrontSession"]["in"], schemes["storefrontSession"]["name"]) == (
        "cookie",
        "distribu_store_session",
    )
    assert (schemes["csrfToken"]["in"], schemes["csrfToken"]["name"]) == ("header", "X-CSRF-Token")
    assert (schemes["apiKey"]["type"], schemes["apiKey"]["scheme"]) == ("http", "bearer")


async def test_every_error_is_a_problem_and_the_gateways_own_are_on_every_operation(gateway: GatewayHarness) -> None:
    problem = {"description": "Conflict", "content": {"application/problem+json": {"schema": {"type": "object"}}}}
    fastapi_422 = {
        "description": "Validation Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
    }
    gateway.services["identity"].openapi = _document(
        {
            "/api/v1/plans": {"get": _operation("Plan")},
            "/api/v1/customers/{customer_id}": {
                "patch": {
                    "parameters": [{"name": "customer_id", "in": "path", "required": True, "schema": {}}],
                    "responses": {**_operation("Plan")["responses"], "409": problem, "422": fastapi_422},
                }
            },
        },
        {"Plan": {"type": "object"}, "HTTPValidationError": {"type": "object"}, "ValidationError": {}},
    )

    document = (await gateway.client.get("/api/v1/openapi.json")).json()

    problem_json = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    plans = document["paths"]["/api/v1/plans"]["get"]["responses"]
    assert set(plans) == {"200", "400", "401", "403", "413", "429"}
    assert all(plans[status]["content"] == problem_json for status in plans if status != "200")
    assert plans["429"]["headers"]["Retry-After"]["required"] is True
    patch = document["paths"]["/api/v1/customers/{customer_id}"]["patch"]["responses"]
    assert set(patch) == {"200", "400", "401", "403", "404", "409", "413", "422", "429"}
    assert patch["409"] == {"description": "Conflict", "content": problem_json}
    assert patch["422"]["content"] == problem_json
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert schemas["Problem"]["required"] == ["type", "title", "status", "detail"]
    assert schemas["Problem"]["properties"]["errors"]["items"]["required"] == ["field", "message"]
