"""Rules a service's OpenAPI document states for what FastAPI documents outside our models (parameters)."""

from typing import Any

from fastapi import FastAPI

from kit.schemas import add_text_pattern

# The parameters `kit.text_input` checks; each is single-line text.
_CHECKED_PARAMETERS = ("path", "query")
_OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def install_openapi_rules(app: FastAPI) -> None:
    """Make `app.openapi()` state the text rule on every path and query string parameter.

    Models state it in their own schemas (`kit.schemas.CamelModel`); parameter schemas FastAPI builds
    itself, so they are completed once, on the document FastAPI generates and caches.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            state_parameter_text_rule(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def state_parameter_text_rule(document: dict[str, Any]) -> None:
    """Give each string schema of a path or query parameter without pattern, format, enum or const the pattern."""
    for path_item in document.get("paths", {}).values():
        operations = [path_item, *(path_item[method] for method in _OPERATIONS if method in path_item)]
        for operation in operations:
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema")
                if parameter.get("in") in _CHECKED_PARAMETERS and isinstance(schema, dict):
                    add_text_pattern(schema)
