"""`/healthz` (the process answers) and `/readyz` (what it depends on answers), for services and the gateway."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kit.errors import problem_body, problem_response

Check = Callable[[], Awaitable[object]]
ReadinessChecks = Callable[[Request], Mapping[str, Check]]


def health_router(readiness_checks: ReadinessChecks, *, timeout: float = 3.0) -> APIRouter:
    """Health routes; `/readyz` runs every check at once and is 503 unless all pass within `timeout`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks = readiness_checks(request)
        results = await asyncio.gather(
            *(asyncio.wait_for(check(), timeout) for check in checks.values()), return_exceptions=True
        )
        outcome = {
            name: "ok" if not isinstance(result, BaseException) else f"unavailable: {result!r}"
            for name, result in zip(checks, results, strict=True)
        }
        if all(value == "ok" for value in outcome.values()):
            return JSONResponse({"status": "ready", "checks": outcome})
        body = problem_body(503, "Not ready", "A dependency is unreachable.", "not-ready", "/readyz")
        body["checks"] = outcome
        return problem_response(body)

    return router
