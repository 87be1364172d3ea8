"""The audit service's app: its spec (tables, migrations, routes, consumer) and the ASGI factory."""

from pathlib import Path

from fastapi import FastAPI

from kit.bus import Bus
from kit.purge import PurgePlan
from kit.service import ServiceSpec, create_service_app
from kit.settings import PlatformSettings
from services.audit.audit_log.endpoints import router as audit_log_router
from services.audit.audit_log.events import consumer
from services.audit.models import Base
from services.audit.settings import AuditSettings

SPEC = ServiceSpec(
    name="audit",
    title="Audit",
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    routers=[audit_log_router],
    consumer=consumer,
    purge=PurgePlan(tables=("audit_logs",)),
)


def create_app(
    settings: AuditSettings | None = None,
    platform: PlatformSettings | None = None,
    *,
    bus: Bus | None = None,
    run_relay: bool = False,
    run_worker: bool = False,
) -> FastAPI:
    """The audit app; with no arguments (uvicorn factory) everything comes from the environment.

    `run_worker` consumes events in this process too (embedded mode, tests); full mode runs `worker` apart.
    """
    settings = settings or AuditSettings()
    platform = platform or PlatformSettings()
    return create_service_app(
        SPEC, settings.database_url, platform, bus=bus, run_relay=run_relay, run_worker=run_worker
    )
