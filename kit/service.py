"""Assembles a service: its FastAPI app, the runtime its lifespan holds, health and readiness."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute
from sqlalchemy import MetaData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.access import INTERNAL, RouteAccess, route_access
from kit.bus import Bus, RabbitBus
from kit.consumer import EventConsumer
from kit.context import ContextSigner, verified_context
from kit.db import Database, wait_for
from kit.errors import install_problem_handlers
from kit.health import Check, health_router
from kit.logging import request_id_var
from kit.openapi_rules import install_openapi_rules
from kit.outbox import OutboxRelay, attach_outbox
from kit.purge import PurgePlan, check_plan
from kit.settings import PlatformSettings
from kit.text_input import install_text_input_check
from kit.worker import BackgroundWork, ServiceWorker

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    """What makes a service: its name, tables, migrations, routes, event handlers and purge plan.

    Refuses to build (ValueError naming the table) when a table with company rows is not in `purge`.
    """

    name: str
    title: str
    metadata: MetaData
    migrations: Path
    routers: Sequence[APIRouter]
    consumer: EventConsumer | None = None
    purge: PurgePlan = field(default_factory=PurgePlan)
    # Loops the worker runs beside its consumer and purger, wherever the worker runs (its own process, or
    # in-process in embedded mode and tests), each `(database, platform) -> Awaitable[None]`, until it stops.
    background: Sequence[BackgroundWork] = ()

    def __post_init__(self) -> None:
        check_plan(self.name, self.metadata, self.purge)


def new_bus(platform: PlatformSettings) -> Bus:
    return RabbitBus.from_settings(platform)


class ServiceRuntime:
    """A running service's database and, as asked, its outbox relay and worker with the bus they need.

    The API process of full mode runs neither: it only writes (events to its outbox), so it needs no broker.
    """

    def __init__(
        self,
        spec: ServiceSpec,
        database_url: str,
        platform: PlatformSettings,
        *,
        bus: Bus | None = None,
        run_relay: bool = False,
        run_worker: bool = False,
    ) -> None:
        self.spec = spec
        self.platform = platform
        self.database = Database(database_url)
        self._owns_bus = bus is None
        self.bus: Bus | None = bus or (new_bus(platform) if run_relay or run_worker else None)
        self.relay = (
            OutboxRelay(
                self.database,
                spec.metadata,
                self.bus,
                poll_interval=platform.outbox_poll_interval,
                coalesce=platform.outbox_coalesce,
                round_spacing=platform.outbox_round_spacing,
                max_round_spacing=platform.outbox_max_round_spacing,
            )
            if run_relay and self.bus is not None
            else None
        )
        self.worker = ServiceWorker(spec, self.database, platform, self.bus) if run_worker and self.bus else None
        self._relay_task: asyncio.Task[None] | None = None

    @property
    def uses_broker(self) -> bool:
        return self.relay is not None or self.worker is not None

    async def start(self) -> None:
        await wait_for(self.database)
        await self.database.upgrade(self.spec.migrations)
        attach_outbox(self.database, self.spec.metadata, self.relay)
        if self._owns_bus and self.bus is not None:
            await self.bus.start()
        if self.worker is not None:
            await self.worker.start()
        if self.relay is not None:
            self._relay_task = asyncio.create_task(self.relay.run())

    async def stop(self) -> None:
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
        if self.worker is not None:
            await self.worker.stop()
        if self._owns_bus and self.bus is not None:
            await self.bus.close()
        await self.database.dispose()


Resources = Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]


def create_service_app(
    spec: ServiceSpec,
    database_url: str,
    platform: PlatformSettings,
    *,
    bus: Bus | None = None,
    run_relay: bool = False,
    run_worker: bool = False,
    resources: Resources | None = None,
) -> FastAPI:
    """A service's ASGI app. `bus` is shared in embedded mode; else a RabbitMQ bus is built when the app
    runs the relay or the worker in-process (`run_worker`: embedded mode and service tests)."""
    require_declared_access(spec.routers)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(spec, database_url, platform, bus=bus, run_relay=run_relay, run_worker=run_worker)
        await runtime.start()
        app.state.runtime = runtime
        app.state.database = runtime.database
        app.state.bus = runtime.bus
        try:
            if resources is None:
                yield
            else:
                async with resources(app):
                    yield
        finally:
            await runtime.stop()

    app = FastAPI(title=f"Distribu {spec.title}", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.service_name = spec.name
    app.state.context_signer = ContextSigner(platform.internal_secret.get_secret_value(), platform.context_ttl_seconds)
    install_problem_handlers(app)
    app.add_middleware(AccessLogMiddleware)
    app.include_router(health_router(_readiness_checks))
    install_text_input_check(app)
    install_openapi_rules(app)
    for router in spec.routers:
        app.include_router(router, dependencies=[Depends(verified_context)])

    # Only the gateway reads a service's OpenAPI (to merge the public one), with its own calls.
    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(verified_context), INTERNAL])
    async def openapi() -> dict[str, Any]:
        return app.openapi()

    return app


def require_declared_access(routers: Sequence[APIRouter]) -> list[tuple[APIRoute, RouteAccess]]:
    """Every route of `routers` with its one declared access; `ValueError` naming the first that has not.

    Each route checks its caller itself (`kit.access`) rather than trusting the gateway alone; failing
    when the app is built names the route before it can ever answer.
    """
    declared = []
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                raise ValueError(
                    f"Route {route!r} of a service router is not an API route, so it cannot declare its access; "
                    "add API routes (with kit.access) to the router itself."
                )
            declared.append((route, route_access(route)))
    return declared


class AccessLogMiddleware:
    """Logs each request with its status and duration, and binds the request id to the logs it causes.

    Plain ASGI rather than Starlette's BaseHTTPMiddleware, which costs every request an extra task.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = dict(scope["headers"]).get(b"x-request-id")
        request_id_var.set(request_id.decode("latin-1") if request_id else None)
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            if scope["path"] not in ("/healthz", "/readyz"):
                logger.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )


def _readiness_checks(request: Request) -> dict[str, Check]:
    runtime: ServiceRuntime = request.app.state.runtime
    checks: dict[str, Check] = {"database": runtime.database.ping}
    if runtime.uses_broker and runtime.bus is not None:
        checks["broker"] = runtime.bus.ping
    return checks


async def run_relay(spec: ServiceSpec, database_url: str, platform: PlatformSettings) -> None:
    """The relay process of full mode: publish this service's outbox until SIGTERM."""
    database = Database(database_url, pool_size=2)
    bus = new_bus(platform)
    await wait_for(database)
    await database.upgrade(spec.migrations)
    await bus.start()
    relay = OutboxRelay(
        database,
        spec.metadata,
        bus,
        poll_interval=platform.outbox_poll_interval,
        coalesce=platform.outbox_coalesce,
        round_spacing=platform.outbox_round_spacing,
        max_round_spacing=platform.outbox_max_round_spacing,
    )
    logger.info("outbox relay started", extra={"relay_for": spec.name})
    try:
        await relay.run()
    finally:
        await bus.close()
        await database.dispose()


async def run_worker(spec: ServiceSpec, database_url: str, platform: PlatformSettings) -> None:
    """The worker process of full mode: consume events, purge deleted companies, prune, until SIGTERM."""
    database = Database(database_url, pool_size=4)
    bus = new_bus(platform)
    await wait_for(database)
    await database.upgrade(spec.migrations)
    attach_outbox(database, spec.metadata, None)
    await bus.start()
    worker = ServiceWorker(spec, database, platform, bus)
    await worker.start()
    logger.info("worker started", extra={"worker_for": spec.name})
    try:
        await asyncio.Future()
    finally:
        await worker.stop()
        await bus.close()
        await database.dispose()
