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
        "/store/{slug}/api/me",
        "/store/{slug}/api/products",
    }
    assert paths["/api/v1/auth/logout"]["post"]["responses"]["204"]
    assert paths["/store/{slug}/api/products"]["get"]["parameters"][0]["name"] == "slug"
    assert paths["/api/v1/company"]["patch"]["security"] == [{"session": []}]
    assert "OWNER or ADMIN" in paths["/api/v1/company"]["patch"]["description"]
    schemas = document["components"]["schemas"]
    assert schemas["Company"] == {"type": "object"}
    assert schemas["CatalogCompany"] == {"type": "object", "title": "catalog's own"}
    assert document["components"]["securitySchemes"]["session"]["in"] == "cookie"
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
