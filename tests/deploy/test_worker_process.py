"""`python -m services.<name> worker` as full mode runs it: its own process, consuming the service's queue,
stopping cleanly on SIGTERM."""

import asyncio
import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import func, select, text

from deploy.local import REPOSITORY, stopped_cleanly
from kit.db import Database
from kit.events import Actor, EntityRef, EventEnvelope
from kit.settings import PlatformSettings
from services.audit.app import SPEC
from tests.conftest import DatabaseFactory
from tests.support.events import publish_event, wait_for_consumer, wait_until


async def test_the_worker_process_consumes_its_service_queue_and_stops_on_sigterm(
    new_database: DatabaseFactory, platform: PlatformSettings, tmp_path: Path
) -> None:
    url = await new_database("audit")
    log = tmp_path / "audit-worker.log"
    environment = {
        "PATH": "/usr/bin:/bin",
        "AUDIT_DATABASE_URL": url,
        "DISTRIBU_BROKER_URL": platform.broker_url,
        "DISTRIBU_NAMESPACE": platform.namespace,
        # The run's retry queues exist with these delays (a queue keeps the arguments it was declared with).
        "DISTRIBU_CONSUMER_RETRY_DELAYS": json.dumps(platform.consumer_retry_delays),
        "DISTRIBU_INTERNAL_SECRET": platform.internal_secret.get_secret_value(),
    }
    with log.open("wb") as output:
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.audit",
            "worker",
            cwd=REPOSITORY,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    database = Database(url)
    try:
        await wait_for_consumer(platform, "audit")
        company_id = uuid.uuid4()
        envelope = EventEnvelope(
            type="WorkerProbed",
            version=1,
            company_id=company_id,
            actor=Actor(type="SYSTEM"),
            entity=EntityRef(type="Probe", id="1", version=1),
            data={},
        )
        await publish_event(platform, envelope)
        audit_logs = SPEC.metadata.tables["audit_logs"]

        async def recorded() -> bool:
            async with database.sessionmaker() as session:
                count = await session.scalar(select(func.count()).where(audit_logs.c.event_id == envelope.id))
            return count == 1

        await wait_until(recorded, within=15, what="the worker to record the event")
        async with database.engine.connect() as connection:
            # The API's tables are there too: the worker migrates the database as every process does.
            assert await connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(15):
                code = await worker.wait()
        finally:
            if worker.returncode is None:
                worker.kill()
            await database.dispose()
    assert stopped_cleanly(code), log.read_text()
    assert "worker started" in log.read_text()
