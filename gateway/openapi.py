"""One OpenAPI document for the public API, merged from the services', and Swagger UI to read it.

The services document their own bodies and the problems their endpoints raise; the merge adds what
only the gateway knows: who may call each operation (security), the problems the gateway itself
answers on any route (400, 401, 403, 413, 429), the `Idempotency-Key` of each POST, and one `Problem`
schema for every error.
"""

import asyncio
import copy
import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from gateway.csrf import CSRF_COOKIE, CSRF_HEADER, SAFE_METHODS
from gateway.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from gateway.routes import GATEWAY, STORE_PREFIX, Access, Route, RouteTable, public_path_of
from gateway.sessions import STAFF_COOKIE, STOREFRONT_COOKIE
from gateway.upstreams import Upstreams
from kit.errors import PROBLEM_CONTENT_TYPE, PROBLEM_SCHEMA

logger = logging.getLogger(__name__)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEMA_REF_PREFIX = "#/components/schemas/"
PROBLEM_REF = {"$ref": SCHEMA_REF_PREFIX + "Problem"}
# FastAPI's own description of a 422, replaced by `Problem` (our handlers answer problem+json).
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

STAFF_SESSION = "staffSession"
STOREFRONT_SESSION = "storefrontSession"
CSRF_SCHEME = "csrfToken"
CSRF_COOKIE_SCHEME = "csrfCookie"
API_KEY = "apiKey"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    STAFF_SESSION: {
        "type": "apiKey",
        "in": "cookie",
        "name": STAFF_COOKIE,
        "description": "Staff session, set by `POST /api/v1/signup`, `POST /api/v1/auth/login` and "
        "`POST /api/v1/invites/accept`.",
    },
    STOREFRONT_SESSION: {
        "type": "apiKey",
        "in": "cookie",
        "name": STOREFRONT_COOKIE,
        "description": "Storefront session of a customer or contact, set by `POST /store/{slug}/api/login`; "
        "valid under that storefront only.",
    },
    CSRF_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": f"Required with a session cookie on every change (not GET): the value of the "
        f"`{CSRF_COOKIE}` cookie, set on sign-in.",
    },
    CSRF_COOKIE_SCHEME: {
        "type": "apiKey",
        "in": "cookie",
        "name": CSRF_COOKIE,
        "description": f"Set on sign-in, readable by scripts; sent back in the `{CSRF_HEADER}` header.",
    },
    API_KEY: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "dk_…",
        "description": "An API key (`dk_…`, made at `/dashboard/api-keys`). Staff routes that name a scope "
        "accept one holding `{scope}:read` (GET) or `{scope}:write` (the rest); no cookie, no CSRF token.",
    },
}

RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}
# What the gateway itself may answer on any route, before (or instead of) the owning service.
GATEWAY_PROBLEMS: dict[int, str] = {
    400: "Bad request (a malformed path, header or body)",
    401: "Not signed in, or the session or API key is no longer valid",
    403: "Signed in but not allowed (role, API key scope, missing CSRF token)",
    413: "Request body too large",
    429: "Too many requests",
}
PROBLEM_DESCRIPTIONS: dict[int, str] = {
    402: "Plan limit reached or trial expired (the detail names the limit)",
    404: "Not found, or another company's",
    409: "Conflict",
    422: "Invalid request (the `errors` list names each refused field)",
    503: "Service unavailable",
}
# On every POST that does not sign in: see gateway/idempotency.py.
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the first answer to a POST with this key is kept for 24 hours per "
    "company, caller and key, and the same request with the same key gets it back (with "
    f"`{REPLAYED_HEADER}: true`) instead of being done again. The same key with a different method, path, "
    "query or body is 422; while the first is still being processed, 409 (with `Retry-After`). Server "
    "errors are not kept, so a retry goes through. Only used when the caller is signed in or uses an API "
    "key. 1 to 255 printable ASCII characters, e.g. a UUID.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$",
    },
}
REPLAYED_HEADER_SCHEMA: dict[str, Any] = {
    "description": "`true` when this is the kept answer to an earlier request with the same `Idempotency-Key`.",
    "required": False,
    "schema": {"type": "string", "enum": ["true"]},
}
RETRY_AFTER_HEADER = "Retry-After"
IDEMPOTENCY_PROBLEMS: dict[str, str] = {
    "409": "Conflict (also: a request with the same `Idempotency-Key` is still being processed)",
    "422": "Invalid request (also: the `Idempotency-Key` was used for a different request)",
}
# A storefront slug as identity accepts it (services/identity/companies/service.py).
SLUG_SCHEMA = {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "minLength": 3, "maxLength": 50}

GATEWAY_PATHS: dict[str, Any] = {
    "/api/v1/auth/logout": {
        "post": {
            "tags": ["auth"],
            "summary": "Sign out",
            "description": "Ends the staff session and clears its cookie. Succeeds without a session too.",
            "operationId": "logout_api_v1_auth_logout_post",
            "responses": {"204": {"description": "Signed out"}},
        }
    },
    STORE_PREFIX + "/logout": {
        "post": {
            "tags": ["storefront"],
            "summary": "Sign out of the storefront",
            "description": "Ends the storefront session and clears its cookie. Succeeds without a session too.",
            "operationId": "logout_store_api_logout_post",
            "responses": {"204": {"description": "Signed out"}},
        }
    },
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
    description = (
        "Distribu's public API. Errors are RFC 9457 `application/problem+json` (schema `Problem`). "
        f"Staff sign in with a session cookie (changes also send `{CSRF_HEADER}`) or an API key; "
        "storefront customers with the storefront session cookie."
    )
    if missing:
        description += f"\n\nNot included right now (service unreachable): {', '.join(missing)}."
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Distribu API", "version": "1", "description": description},
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": copy.deepcopy(SECURITY_SCHEMES)},
    }
    schemas: dict[str, Any] = merged["components"]["schemas"]
    # (public path, method, operation, who answers it)
    published: list[tuple[str, str, dict[str, Any], str]] = [
        (path, method, operation, GATEWAY)
        for path, item in copy.deepcopy(GATEWAY_PATHS).items()
        for method, operation in item.items()
    ]
    for service, document in documents.items():
        renames = _schema_renames(service, document, schemas)
        document = _rewrite_refs(copy.deepcopy(document), renames)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            schemas[renames.get(name, name)] = schema
        for service_path, item in document.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    published.append((public_path_of(service_path), method, item[method], service))
    for public, method, operation, service in published:
        found = routes.find(method.upper(), public)
        if found is None or found.route.service != service:
            continue
        _describe_access(operation, found.route, method)
        if public.startswith(STORE_PREFIX):
            _add_slug_parameter(operation)
        _document_problems(operation, public)
        if method == "post" and service != GATEWAY and found.route.session == "none":
            _add_idempotency(operation)
        merged["paths"].setdefault(public, {})[method] = operation
    for name in FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    return merged


def security_for(access: Access, method: str, *, signs_in: bool = False) -> list[dict[str, list[str]]]:
    """Which credentials an operation accepts (alternatives); `[{}]` among them means none are needed."""
    changes = method.upper() not in SAFE_METHODS and not signs_in
    csrf: dict[str, list[str]] = {CSRF_SCHEME: [], CSRF_COOKIE_SCHEME: []} if changes else {}
    if access.kind == "staff":
        session = [{STAFF_SESSION: [], **csrf}]
        return [*session, {API_KEY: []}] if access.scope else session
    if access.kind == "storefront" and not signs_in:
        return [{STOREFRONT_SESSION: [], **csrf}, {}]
    return []


def _describe_access(operation: dict[str, Any], route: Route, method: str) -> None:
    access = route.access
    if route.service == GATEWAY:
        # The sign-outs: a session is optional, but one sent on a change needs its CSRF token.
        cookie = STOREFRONT_SESSION if route.is_storefront else STAFF_SESSION
        operation["security"] = [{cookie: [], CSRF_SCHEME: [], CSRF_COOKIE_SCHEME: []}, {}]
        return
    operation["security"] = security_for(access, method, signs_in=route.session != "none")
    if access.kind == "staff":
        note = f"Requires a staff session with role {access.describe_roles()}"
        if access.scope:
            scope = f"{access.scope}:{'read' if method.upper() in SAFE_METHODS else 'write'}"
            note += f", or an API key with the `{scope}` scope."
        else:
            note += " (API keys may not call it)."
        operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()


def _document_problems(operation: dict[str, Any], path: str) -> None:
    """Every error the operation can answer, each as a `Problem`; the gateway's own on every route."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses = dict(GATEWAY_PROBLEMS)
    if operation.get("parameters") or operation.get("requestBody"):
        statuses[422] = PROBLEM_DESCRIPTIONS[422]
    if "{" in path:
        statuses[404] = PROBLEM_DESCRIPTIONS[404]
    for code, text in statuses.items():
        responses.setdefault(str(code), {"description": text})
    for status, response in responses.items():
        if not _is_error(status):
            continue
        if response.get("description") in (None, "", "Validation Error"):
            code = int(status) if status.isdigit() else 0
            response["description"] = PROBLEM_DESCRIPTIONS.get(code) or GATEWAY_PROBLEMS.get(code) or "Error"
        response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": dict(PROBLEM_REF)}}
        if status == "429":
            response["headers"] = {"Retry-After": {**RETRY_AFTER, "required": True}}
        elif status == "503":
            response["headers"] = {"Retry-After": {**RETRY_AFTER, "required": False}}


def _add_idempotency(operation: dict[str, Any]) -> None:
    """The `Idempotency-Key` a POST may carry, and what it adds to the answers (gateway.idempotency)."""
    operation.setdefault("parameters", []).append(copy.deepcopy(IDEMPOTENCY_KEY_PARAMETER))
    responses: dict[str, Any] = operation["responses"]
    for status, text in IDEMPOTENCY_PROBLEMS.items():
        responses.setdefault(
            status, {"description": text, "content": {PROBLEM_CONTENT_TYPE: {"schema": dict(PROBLEM_REF)}}}
        )
    responses["409"].setdefault("headers", {}).setdefault(RETRY_AFTER_HEADER, {**RETRY_AFTER, "required": False})
    for response in responses.values():
        # Any answer but a server error is kept, so any may come back as a replay.
        response.setdefault("headers", {})[REPLAYED_HEADER] = copy.deepcopy(REPLAYED_HEADER_SCHEMA)


def _is_error(status: str) -> bool:
    return status[:1] in ("4", "5") or status == "default"


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
    for parameter in parameters:
        if parameter.get("name") == "slug" and parameter.get("in") == "path":
            parameter["schema"] = dict(SLUG_SCHEMA)
            return
    parameters.insert(
        0,
        {
            "name": "slug",
            "in": "path",
            "required": True,
            "description": "The distributor's storefront slug.",
            "schema": dict(SLUG_SCHEMA),
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
  <div id="swagger-ui" data-spec-url="/api/v1/openapi.json"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/static/swagger-init.js"></script>
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
