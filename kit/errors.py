"""One error hierarchy and one renderer: every failure leaves as RFC 9457 problem+json."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://distribu.app/problems/"

logger = logging.getLogger(__name__)


class ProblemError(Exception):
    """Base of every error meant for the client; subclasses fix status, title and type."""

    status = 500
    title = "Internal Server Error"
    slug = "internal-error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        return problem_body(self.status, self.title, self.detail, self.slug, instance, self.errors)


class InvalidInput(ProblemError):
    """Well-formed input that breaks a rule (a malformed slug, passwords that differ)."""

    status = 400
    title = "Invalid input"
    slug = "invalid-input"


class Unauthorized(ProblemError):
    status = 401
    title = "Not signed in"
    slug = "unauthorized"


class PlanLimitReached(ProblemError):
    status = 402
    title = "Plan limit reached"
    slug = "plan-limit-reached"


class Forbidden(ProblemError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(ProblemError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(ProblemError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class ContentTooLarge(ProblemError):
    status = 413
    title = "Content too large"
    slug = "content-too-large"


class UnsupportedMediaType(ProblemError):
    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class RateLimited(ProblemError):
    status = 429
    title = "Too many requests"
    slug = "rate-limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class ServiceUnavailable(ProblemError):
    status = 503
    title = "Service unavailable"
    slug = "service-unavailable"


def problem_body(
    status: int,
    title: str,
    detail: str,
    slug: str,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def problem_response(body: dict[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_CONTENT_TYPE, headers=headers)


# Pydantic's messages for its common checks, in the plain words a person filling a form needs ("Input should
# be a valid decimal" says what failed, not what to type). {name}s come from the error's context; a check not
# listed, or a custom error of ours (already a sentence, e.g. "Enter a price like 12.50"), keeps its message.
_PLAIN_MESSAGES = {
    "missing": "This field is required.",
    "string_too_short": "Enter at least {min_length} characters.",
    "string_too_long": "Use at most {max_length} characters.",
    "too_short": "Add at least {min_length}.",
    "too_long": "Use at most {max_length}.",
    "string_type": "Enter text here.",
    "string_pattern_mismatch": "This is not in the expected format.",
    "decimal_parsing": "Enter a number like 12.50.",
    "decimal_type": "Enter a number like 12.50.",
    "decimal_max_places": "Use at most {decimal_places} digits after the point.",
    "decimal_max_digits": "Use at most {max_digits} digits.",
    "float_parsing": "Enter a number like 12.50.",
    "float_type": "Enter a number like 12.50.",
    "int_parsing": "Enter a whole number, like 12.",
    "int_type": "Enter a whole number, like 12.",
    "int_from_float": "Enter a whole number, like 12.",
    "greater_than": "Enter a number above {gt}.",
    "greater_than_equal": "Enter {ge} or more.",
    "less_than": "Enter a number below {lt}.",
    "less_than_equal": "Enter {le} or less.",
    "bool_parsing": "Choose yes or no.",
    "bool_type": "Choose yes or no.",
    "enum": "Choose one of: {expected}.",
    "literal_error": "Choose one of: {expected}.",
    "uuid_parsing": "Choose an item from the list.",
    "uuid_type": "Choose an item from the list.",
    "url_parsing": "Enter a web address like https://example.com/picture.png.",
    "url_scheme": "Enter a web address that starts with https://.",
    "date_from_datetime_parsing": "Enter a date like 2025-01-31.",
    "date_parsing": "Enter a date like 2025-01-31.",
    "datetime_parsing": "Enter a date and time like 2025-01-31T09:30:00Z.",
    "list_type": "Send a list here.",
    "dict_type": "Send an object here.",
    "extra_forbidden": "This field is not accepted here.",
}


def plain_message(error: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence for people; an email check says what an email looks like."""
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "") or "This value is not valid.")
    if kind == "value_error" and "email address" in message:
        return "Enter an email address like name@example.com."
    if kind == "value_error" and message.startswith("Value error, "):
        return message[len("Value error, ") :]
    if kind == "string_too_short" and (error.get("ctx") or {}).get("min_length") == 1:
        return _PLAIN_MESSAGES["missing"]
    template = _PLAIN_MESSAGES.get(kind)
    if template is None:
        return message
    context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return message


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """Pydantic's error list as [{field, message}], the field named as the client sent it, in plain words."""
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        errors.append({"field": ".".join(location) or "body", "message": plain_message(error)})
    return errors


_HTTP_SLUGS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed"}


def _surrogate_in(error: UnicodeEncodeError) -> bool:
    return any("\ud800" <= character <= "\udfff" for character in error.object[error.start : error.end])


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route takes at the request's path: each asked of the routes as the router would."""
    return [
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    ]


def install_problem_handlers(app: FastAPI) -> None:
    async def handle_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.to_problem(request.url.path), exc.headers)

    async def handle_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(
            problem_body(422, "Invalid request", detail, "validation-failed", request.url.path, errors)
        )

    async def handle_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug = _HTTP_SLUGS.get(exc.status_code, "http-error")
        title = slug.replace("-", " ").capitalize()
        body = problem_body(exc.status_code, title, str(exc.detail), slug, request.url.path)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; every method the path takes is allowed.
            headers["Allow"] = ", ".join(allowed_methods(request.app.router.routes, request.scope))
        return problem_response(body, headers)

    async def handle_database(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if not exc.connection_invalidated:
            return await handle_unexpected(request, exc)
        # The database went away under a pooled connection (a restart, a failover). SQLAlchemy has
        # dropped the pool's connections by now, so the caller's retry gets fresh ones.
        logger.warning("database connection lost", extra={"path": request.url.path, "error": repr(exc.orig)})
        error = ServiceUnavailable("The database connection was interrupted; try again.", headers={"Retry-After": "1"})
        return problem_response(error.to_problem(request.url.path), error.headers)

    async def handle_unreadable(request: Request, exc: Exception) -> JSONResponse:
        # Input Python cannot take in: JSON nested deeper than the parser recurses (json.loads raises
        # RecursionError wherever a body is read, FastAPI's or our own code's), or text with a lone
        # surrogate (valid JSON, "\ud800", but no encoder can write it to a database, Redis or a log).
        if isinstance(exc, UnicodeEncodeError) and not _surrogate_in(exc):
            return await handle_unexpected(request, exc)
        logger.warning("unreadable request", extra={"path": request.url.path, "error": type(exc).__name__})
        detail = (
            "The JSON is nested too deeply to read."
            if isinstance(exc, RecursionError)
            else "The request has text that is not valid Unicode (a lone surrogate)."
        )
        return problem_response(problem_body(400, "Bad request", detail, "bad-request", request.url.path))

    async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"path": request.url.path})
        body = problem_body(500, "Internal Server Error", "Something went wrong on our side.", "internal-error")
        return problem_response(body)

    app.add_exception_handler(ProblemError, handle_problem)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(StarletteHTTPException, handle_http)
    app.add_exception_handler(DBAPIError, handle_database)
    app.add_exception_handler(RecursionError, handle_unreadable)
    app.add_exception_handler(UnicodeEncodeError, handle_unreadable)
    app.add_exception_handler(Exception, handle_unexpected)


# The body of every problem, as OpenAPI documents it (RFC 9457 plus our `errors` list). Services' own
# documents carry it inline; the gateway's merged document names it once, as `Problem`.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: what went wrong, for people (`title`, `detail`) and for code (`type`).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "Identifies the kind of problem."},
        "title": {"type": "string", "description": "Short summary of the kind of problem."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status."},
        "detail": {"type": "string", "description": "What went wrong with this request."},
        "instance": {"type": "string", "description": "The path of the request that failed."},
        "errors": {
            "type": "array",
            "description": "For invalid input: each field that was refused, and why.",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "description": "The field as sent (`items.0.quantity`)."},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def problem_responses(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problems an endpoint can answer with."""
    return {
        error.status: {"description": error.title, "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_SCHEMA}}}
        for error in errors
    }
