"""One OpenAPI document for the public API, merged from the services', and Swagger UI to read it."""

import asyncio
import copy
import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from gateway.routes import STORE_PREFIX, RouteTable, public_path_of
from gateway.upstreams import Upstreams

logger = logging.getLogger(__name__)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEMA_REF_PREFIX = "#/components/schemas/"

SESSION_SCHEME = {
    "type": "apiKey",
    "in": "cookie",
    "name": "distribu_session",
    "description": "Staff session, set by `POST /api/v1/signup` and `POST /api/v1/auth/login`.",
}

GATEWAY_PATHS: dict[str, Any] = {
    "/api/v1/auth/logout": {
        "post": {
            "tags": ["auth"],
            "summary": "Sign out",
            "description": "Ends the staff session and clears its cookie. Succeeds without a session too.",
            "operationId": "logout_api_v1_auth_logout_post",
            "responses": {"204": {"description": "Signed out"}},
        }
    }
}


class OpenApiMerger:
    """Fetches each service's document once (on first success) and publishes what the gateway routes."""

    def __init__(self, upstreams: Upstreams, routes: RouteTable) -> None:
        self.upstreams = upstreams
        self.routes = routes
        self._documents: dict[str, dict[str, Any]] = {}

    async def _fetch(self, service: str) -> None:
        if service in self._documents:
            return
        try:
            response = await self.upstreams.call_internal(service, "GET", "/openapi.json", uuid.uuid4().hex)
            document = response.json() if response.status_code == 200 else None
            if isinstance(document, dict) and isinstance(document.get("paths"), dict):
                self._documents[service] = document
            else:
                logger.warning(
                    "service OpenAPI unavailable", extra={"service": service, "status": response.status_code}
                )
        except Exception as error:
            logger.warning("service OpenAPI unavailable", extra={"service": service, "error": repr(error)})

    async def document(self) -> dict[str, Any]:
        await asyncio.gather(*(self._fetch(service) for service in self.upstreams.names))
        return merge(
            {service: self._documents[service] for service in self.upstreams.names if service in self._documents},
            self.routes,
            missing=[service for service in self.upstreams.names if service not in self._documents],
        )


def merge(documents: dict[str, dict[str, Any]], routes: RouteTable, missing: list[str] | None = None) -> dict[str, Any]:
    description = "Distribu's public API. Errors are RFC 9457 `application/problem+json`."
    if missing:
        description += f"\n\nNot included right now (service unreachable): {', '.join(missing)}."
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Distribu API", "version": "1", "description": description},
        "paths": copy.deepcopy(GATEWAY_PATHS),
        "components": {"schemas": {}, "securitySchemes": {"session": SESSION_SCHEME}},
    }
    schemas: dict[str, Any] = merged["components"]["schemas"]
    for service, document in documents.items():
        renames = _schema_renames(service, document, schemas)
        document = _rewrite_refs(copy.deepcopy(document), renames)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            schemas[renames.get(name, name)] = schema
        for service_path, item in document.get("paths", {}).items():
            public = public_path_of(service_path)
            for method in HTTP_METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                found = routes.find(method.upper(), public)
                if found is None or found.route.service != service:
                    continue
                access = found.route.access
                if access.kind == "staff":
                    operation["security"] = [{"session": []}]
                    roles = access.describe_roles()
                    note = f"Requires a staff session with role {roles}."
                    operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
                if public.startswith(STORE_PREFIX):
                    _add_slug_parameter(operation)
                path_item = merged["paths"].setdefault(public, {})
                path_item[method] = operation
    return merged


def _schema_renames(service: str, document: dict[str, Any], merged: dict[str, Any]) -> dict[str, str]:
    """Schema names that clash with a different schema already merged get the service's prefix."""
    renames: dict[str, str] = {}
    prefix = service.capitalize()
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        if name in merged and merged[name] != schema:
            renames[name] = f"{prefix}{name}"
    return renames


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if not renames:
        return node
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF_PREFIX):
                name = value[len(SCHEMA_REF_PREFIX) :]
                node[key] = SCHEMA_REF_PREFIX + renames.get(name, name)
            else:
                _rewrite_refs(value, renames)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, renames)
    return node


def _add_slug_parameter(operation: dict[str, Any]) -> None:
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    if not any(parameter.get("name") == "slug" and parameter.get("in") == "path" for parameter in parameters):
        parameters.insert(
            0,
            {
                "name": "slug",
                "in": "path",
                "required": True,
                "description": "The distributor's storefront slug.",
                "schema": {"type": "string"},
            },
        )


SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Distribu API docs</title>
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    // The bundled Swagger UI (4.x) only accepts documents labelled OpenAPI 3.0; ours is 3.1 (as FastAPI
    // writes it) and renders well once relabelled, so the published document itself stays accurate.
    fetch("/api/v1/openapi.json").then((response) => response.json()).then((spec) => {
      spec.openapi = "3.0.3";
      window.ui = SwaggerUIBundle({spec: spec, dom_id: "#swagger-ui", deepLinking: true});
    });
  </script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/api/v1/openapi.json")
async def openapi_document(request: Request) -> JSONResponse:
    merger: OpenApiMerger = request.app.state.openapi
    return JSONResponse(await merger.document())


@router.get("/api/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(SWAGGER_PAGE)
