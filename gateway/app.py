"""Assembles the gateway: settings, Redis, one client per service, the API, the docs and the pages."""

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Mapping

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis
from redis.exceptions import RedisError
from swagger_ui_bundle import swagger_ui_path

from gateway import api, openapi
from gateway.csrf import CsrfTokens
from gateway.middleware import BodyLimit, HeadAsGet, PathGuard, RequestIdMiddleware
from gateway.openapi import OpenApiMerger
from gateway.pipeline import Gateway
from gateway.security_headers import SecurityHeadersMiddleware
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstreams
from gateway.web import addresses, dashboard, storefront
from gateway.web.dashboard.frame import install_sign_in_redirect
from gateway.web.rendering import STATIC_DIRECTORY, install_page_errors
from kit.context import ContextSigner
from kit.errors import ServiceUnavailable, install_problem_handlers, problem_response
from kit.health import Check, health_router
from kit.settings import PlatformSettings

logger = logging.getLogger(__name__)


def create_app(
    settings: GatewaySettings | None = None,
    platform: PlatformSettings | None = None,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    redis: Redis | None = None,
) -> FastAPI:
    """The gateway's ASGI app (also a uvicorn factory with no arguments).

    Embedded mode passes `transports` (service name → in-process transport, e.g. httpx.ASGITransport
    over the service's app) and a shared `redis` client; full mode reaches services by URL and
    opens its own Redis connection from DISTRIBU_REDIS_URL.
    """
    settings = settings or GatewaySettings()
    platform = platform or PlatformSettings()
    internal_secret = platform.internal_secret.get_secret_value()
    signer = ContextSigner(internal_secret, platform.context_ttl_seconds)
    owns_redis = redis is None
    redis_client: Redis = redis if redis is not None else Redis.from_url(platform.redis_url, decode_responses=True)
    upstreams = Upstreams(
        settings.service_urls(), signer, transports=transports, timeout=settings.upstream_timeout_seconds
    )
    gateway = Gateway(settings, platform.namespace, redis_client, upstreams, csrf_tokens=CsrfTokens(internal_secret))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await upstreams.close()
            if owns_redis:
                await redis_client.aclose()

    app = FastAPI(title="Distribu gateway", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.gateway = gateway
    app.state.openapi = OpenApiMerger(upstreams, gateway.routes)
    install_problem_handlers(app)
    install_sign_in_redirect(app)
    app.add_exception_handler(RedisError, _redis_unavailable)
    install_page_errors(app)  # last: it wraps every handler above so pages answer in HTML
    # The last added runs first: every answer gets the security headers and a request id, the guards'
    # refusals included; paths are checked before anything reads them, bodies capped before they are read.
    app.add_middleware(BodyLimit)
    app.add_middleware(HeadAsGet)
    app.add_middleware(PathGuard)
    app.add_middleware(RequestIdMiddleware, trusted_proxies=settings.trusted_proxy_networks)
    app.add_middleware(SecurityHeadersMiddleware, https_only=settings.cookie_secure)

    app.include_router(health_router(_readiness_checks))
    app.include_router(openapi.router)
    app.mount("/api/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="swagger-assets")
    app.include_router(addresses.router)  # a document under /static, so before the files
    app.mount("/static", StaticFiles(directory=str(STATIC_DIRECTORY)), name="static")
    # Everything else under /api and /store/{slug}/api is the route table's. Before the pages: the API's
    # calls are the hot path, and each route tried before the match costs every request.
    api.install(app)
    app.include_router(dashboard.router)
    app.include_router(storefront.router)
    return app


async def _redis_unavailable(request: Request, exc: Exception) -> Response:
    # Sessions, rate limits and the storefront directory all live in Redis: without it, nothing is served.
    logger.error("redis unavailable", extra={"error": repr(exc)})
    error = ServiceUnavailable("Distribu is briefly unavailable; try again in a moment.", headers={"Retry-After": "5"})
    return problem_response(error.to_problem(request.url.path), error.headers)


def _readiness_checks(request: Request) -> dict[str, Check]:
    """Redis and every service's /healthz."""
    gateway: Gateway = request.app.state.gateway

    async def service_check(name: str) -> None:
        response = await gateway.upstreams.health(name)
        if response.status_code != 200:
            raise RuntimeError(f"healthz answered {response.status_code}")

    checks: dict[str, Check] = {"redis": gateway.redis.ping}
    for name in gateway.upstreams.names:
        checks[name] = functools.partial(service_check, name)
    return checks
