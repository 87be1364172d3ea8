"""One error hierarchy and one renderer: every failure leaves as RFC 9457 problem+json."""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """Pydantic's error list as [{field, message}], the field named as the client sent it."""
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        errors.append({"field": ".".join(location) or "body", "message": str(error.get("msg", "invalid"))})
    return errors


_HTTP_SLUGS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed"}


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
        return problem_response(body, exc.headers)

    async def handle_database(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if not exc.connection_invalidated:
            return await handle_unexpected(request, exc)
        # The database went away under a pooled connection (a restart, a failover). SQLAlchemy has
        # dropped the pool's connections by now, so the caller's retry gets fresh ones.
        logger.warning("database connection lost", extra={"path": request.url.path, "error": repr(exc.orig)})
        error = ServiceUnavailable("The database connection was interrupted; try again.", headers={"Retry-After": "1"})
        return problem_response(error.to_problem(request.url.path), error.headers)

    async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"path": request.url.path})
        body = problem_body(500, "Internal Server Error", "Something went wrong on our side.", "internal-error")
        return problem_response(body)

    app.add_exception_handler(ProblemError, handle_problem)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(StarletteHTTPException, handle_http)
    app.add_exception_handler(DBAPIError, handle_database)
    app.add_exception_handler(Exception, handle_unexpected)


def problem_responses(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problems an endpoint can answer with."""
    return {error.status: {"description": error.title, "content": {PROBLEM_CONTENT_TYPE: {}}} for error in errors}
