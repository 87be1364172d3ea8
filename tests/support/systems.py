"""The whole system, running as it runs for users, driven only through the gateway.

`full_system` is the full topology (deploy.local.Topology): each service's API and relay and the
gateway as separate processes, on fresh databases, a broker namespace of its own and free ports, with
a TCP proxy the tests control between identity's relay and RabbitMQ. `embedded_system` is
`python -m deploy.embedded` as a subprocess. Both are started once per test session; `system` is each of
them in turn.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from deploy.components import SERVICES
from deploy.local import REPOSITORY, Topology, free_port, stopped_cleanly
from kit.settings import PlatformSettings
from tests import infrastructure
from tests.conftest import DatabaseFactory
from tests.infrastructure import Infrastructure
from tests.support.tcp_proxy import TcpProxy

# Every e2e and browser test signs its companies up from 127.0.0.1 on the two shared systems: the per-IP
# sign-up limits would refuse the later ones. Those limits have their own tests, on systems of their own.
SIGN_UP_LIMITS_FOR_SHARED_SYSTEMS = {
    "GATEWAY_SIGNUP_ATTEMPTS_PER_IP": "1000",
    "GATEWAY_TRIALS_PER_IP_PER_DAY": "1000",
    "GATEWAY_INVITE_LOOKUPS_PER_IP": "1000",
}
# The e2e and browser tests' webhook receivers listen on 127.0.0.1, which the SSRF guard refuses by default; and
# a receiver that is down for a moment is retried within seconds, not minutes (about 10 s of retries in all).
WEBHOOKS_FOR_SHARED_SYSTEMS = {
    "WEBHOOKS_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
    "WEBHOOKS_RETRY_SCHEDULE_SECONDS": "[0.5, 1, 1, 2, 2, 2, 2]",
}


@dataclass(frozen=True)
class RunningSystem:
    """A running Distribu: tests talk to `base_url` (the gateway); the rest is for tests about the plumbing."""

    base_url: str
    # Services' own URLs, to show they refuse calls that skip the gateway (full topology only).
    service_urls: dict[str, str] = field(default_factory=dict)
    # Sits between identity's outbox relay and RabbitMQ: pause() cuts that path, resume() restores it.
    identity_broker_proxy: TcpProxy | None = None
    topology: Topology | None = None


def through_proxy(url: str, port: int) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def platform_environment(platform: PlatformSettings, namespace: str) -> dict[str, str]:
    """The run's platform settings as the environment of a child process, under its own namespace.

    Its own namespace, because the services the other tests run in-process consume this run's
    queues: sharing them, the topology's consumers would take those tests' events.
    """
    return {
        "DISTRIBU_BROKER_URL": platform.broker_url,
        "DISTRIBU_REDIS_URL": platform.redis_url,
        "DISTRIBU_INTERNAL_SECRET": platform.internal_secret.get_secret_value(),
        "DISTRIBU_NAMESPACE": namespace,
        "DISTRIBU_OUTBOX_POLL_INTERVAL": str(platform.outbox_poll_interval),
        "DISTRIBU_CONSUMER_RETRY_DELAYS": json.dumps(platform.consumer_retry_delays),
    }


@pytest.fixture(scope="session")
async def full_system(
    infra: Infrastructure,
    platform: PlatformSettings,
    new_database: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningSystem]:
    namespace = f"{platform.namespace}-e2e"
    databases = {service: await new_database(f"e2e_{service}") for service in SERVICES}
    broker = urlsplit(platform.broker_url)
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    proxy_port = proxy.start()
    log_dir = tmp_path_factory.mktemp("topology-logs")
    topology = Topology(
        {
            **platform_environment(platform, namespace),
            **{f"{service.upper()}_DATABASE_URL": url for service, url in databases.items()},
            **SIGN_UP_LIMITS_FOR_SHARED_SYSTEMS,
            **WEBHOOKS_FOR_SHARED_SYSTEMS,
        },
        ports={name: free_port() for name in ("gateway", *SERVICES)},
        log_dir=log_dir,
        process_env={"identity-relay": {"DISTRIBU_BROKER_URL": through_proxy(platform.broker_url, proxy_port)}},
    )
    topology.start()
    try:
        await asyncio.to_thread(topology.wait_ready, 120.0)
        yield RunningSystem(
            base_url=topology.gateway_url,
            service_urls={service: topology.service_url(service) for service in SERVICES},
            identity_broker_proxy=proxy,
            topology=topology,
        )
    finally:
        exit_codes = await asyncio.to_thread(topology.stop)
        proxy.stop()
        await infrastructure.delete_broker_namespace(infra, namespace, len(platform.consumer_retry_delays))
    # Every process stops on SIGTERM by itself (none had to be killed), as `make up` relies on.
    unclean = {name: code for name, code in exit_codes.items() if not stopped_cleanly(code)}
    assert not unclean, f"did not stop cleanly: {unclean}; logs in {log_dir}"


@pytest.fixture(scope="session")
def embedded_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    port = free_port()
    data_dir = tmp_path_factory.mktemp("embedded-data")
    log_path = data_dir / "embedded.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "deploy.embedded", "--port", str(port), "--data-dir", str(data_dir), "--no-seed"],
            cwd=REPOSITORY,
            env={
                **os.environ,
                **SIGN_UP_LIMITS_FOR_SHARED_SYSTEMS,
                **WEBHOOKS_FOR_SHARED_SYSTEMS,
                "PYTHONUNBUFFERED": "1",
            },
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, process, log_path)
        yield RunningSystem(base_url=base_url)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            exit_code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            exit_code = process.wait()
    assert exit_code == 0, f"embedded mode did not stop cleanly ({exit_code}):\n{log_path.read_text()[-3000:]}"


@pytest.fixture(params=["full", "embedded"])
def system(request: pytest.FixtureRequest) -> RunningSystem:
    """Each run mode in turn, for a test that must hold in both."""
    running: RunningSystem = request.getfixturevalue(f"{request.param}_system")
    return running


def wait_until_ready(base_url: str, process: "subprocess.Popen[bytes]", log_path: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=2) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"embedded mode exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if client.get("/readyz").status_code == httpx.codes.OK:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"embedded mode not ready after {timeout}s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
