"""What the benchmarks share: a full topology of their own, waiting for it to go quiet, and figures.

Each benchmark starts the full topology (deploy.local.Topology) on databases and a broker namespace
it creates and removes, so it never touches `make up`'s data, and reports `Figure`s: a measured
value with its target, printed the same way by every benchmark and side by side by `python -m bench`.
"""

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aio_pika
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from deploy.components import SERVICES
from deploy.local import ChildProcess, Topology, ensure_databases, free_port
from kit.bus import delete_namespace
from kit.settings import PlatformSettings

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"
# A benchmark signs up more companies from 127.0.0.1 than the gateway lets one address create by default.
SIGN_UP_LIMITS = {"GATEWAY_SIGNUP_ATTEMPTS_PER_IP": "1000", "GATEWAY_TRIALS_PER_IP_PER_DAY": "1000"}
# A bench company moves to the Scale plan (no limits) with this billing profile.
SCALE_PLAN = {
    "planCode": "scale",
    "billingProfile": {
        "legalName": "Bench Wholesale LLC",
        "email": "billing@bench.example",
        "addressLine1": "1 Bench Street",
        "city": "Springfield",
        "postalCode": "62704",
        "country": "US",
    },
}


@dataclass(frozen=True)
class Figure:
    """One measured figure and its target (`at_least`, or at most when `higher_is_better` is False)."""

    benchmark: str
    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = True
    # Shown after the verdict: what the figure is compared with, or why it could not be measured.
    note: str = ""
    # A count (no decimals), not a measurement.
    whole: bool = False

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: ""}[self.met]

    def target_text(self) -> str:
        if self.target is None:
            return ""
        return f"{'>=' if self.higher_is_better else '<='} {_number(self.target, self.whole)} {self.unit}"

    def line(self, name_width: int = 48) -> str:
        value = f"{_number(self.value, self.whole)} {self.unit}"
        note = f"  ({self.note})" if self.note else ""
        return f"  {self.name:<{name_width}} {value:>16}   {self.target_text():<18} {self.verdict:<4}{note}"


def _number(value: float, whole: bool = False) -> str:
    if value != value:  # NaN: not measured
        return "-"
    if whole or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def print_figures(title: str, figures: Iterable[Figure]) -> None:
    shown = list(figures)
    width = max([len(figure.name) for figure in shown] + [20])
    print(f"\n{title}")
    print(f"  {'figure':<{width}} {'measured':>16}   {'target':<18} verdict")
    for figure in shown:
        print(figure.line(width))


@dataclass
class BenchSystem:
    """A running full topology with its own databases and broker namespace."""

    topology: Topology
    namespace: str
    database_urls: dict[str, str]
    internal_secret: str
    broker_url: str
    log_dir: Path

    @property
    def gateway_url(self) -> str:
        return self.topology.gateway_url

    def queue(self, service: str) -> str:
        return f"{self.namespace}.{service}.events"

    def workers(self, service: str | None = None) -> list[ChildProcess]:
        """The worker processes (each service's consumers), of one service or all."""
        prefix = f"{service}-worker" if service else None
        return [
            process
            for process in self.topology.processes
            if (process.name.startswith(prefix) if prefix else "-worker" in process.name)
        ]

    def relays(self, service: str | None = None) -> list[ChildProcess]:
        names = [f"{service}-relay"] if service else [f"{name}-relay" for name in SERVICES]
        return [process for process in self.topology.processes if process.name in names]

    def start(self, processes: Iterable[ChildProcess], env: Mapping[str, str] | None = None) -> None:
        """Start stopped processes of the topology again, with `env` added to their environment."""
        for process in processes:
            self.topology.start_process(process, env)


@asynccontextmanager
async def bench_system(
    postgres: str = DEFAULT_POSTGRES, env: Mapping[str, str] | None = None
) -> AsyncIterator[BenchSystem]:
    """The full topology on fresh databases and namespace; everything it created is removed afterwards."""
    token = secrets.token_hex(4)
    platform = PlatformSettings()
    namespace = f"bench-{token}"
    urls = {service: f"{postgres.rstrip('/')}/bench_{token}_{service}" for service in SERVICES}
    secret = secrets.token_urlsafe(48)
    await ensure_databases(urls.values())
    log_dir = Path(tempfile.mkdtemp(prefix="distribu-bench-"))
    topology = Topology(
        {
            "DISTRIBU_NAMESPACE": namespace,
            "DISTRIBU_INTERNAL_SECRET": secret,
            "DISTRIBU_LOG_LEVEL": "WARNING",
            **SIGN_UP_LIMITS,
            **{f"{service.upper()}_DATABASE_URL": url for service, url in urls.items()},
            **(env or {}),
        },
        ports={name: free_port() for name in ("gateway", *SERVICES)},
        log_dir=log_dir,
    )
    topology.start()
    try:
        await asyncio.to_thread(topology.wait_ready, 120.0)
        print(f"full topology up ({len(topology.processes)} processes, logs in {log_dir})", flush=True)
        yield BenchSystem(topology, namespace, urls, secret, platform.broker_url, log_dir)
    finally:
        await asyncio.to_thread(topology.stop)
        await drop_databases(list(urls.values()))
        await delete_namespace(platform.broker_url, namespace, SERVICES, len(platform.consumer_retry_delays))


def stop_processes(processes: Iterable[ChildProcess], timeout: float = 30.0) -> None:
    """SIGTERM each (they finish what they hold and exit), then wait; SIGKILL what outlives `timeout`."""
    running = [process for process in processes if process.popen is not None and process.popen.poll() is None]
    for process in running:
        assert process.popen is not None
        with contextlib.suppress(ProcessLookupError):
            process.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in running:
        assert process.popen is not None
        try:
            process.popen.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGKILL)
            process.popen.wait()


async def wait_until_quiet(system: BenchSystem, within: float = 600.0) -> float:
    """Wait until every event is relayed and consumed (every outbox and queue empty, three looks in a
    row), so no consumer is busy with earlier work while something is measured; returns the seconds waited."""
    started = time.perf_counter()
    engines = [create_async_engine(url, poolclass=NullPool) for url in system.database_urls.values()]
    quiet_looks = 0
    try:
        async with await aio_pika.connect(system.broker_url) as connection:
            while quiet_looks < 3:
                if time.perf_counter() - started > within:
                    raise TimeoutError(f"events still flowing after {within:.0f} s")
                pending = sum([await unrelayed(engine) for engine in engines])
                for service in SERVICES:
                    pending += await queued(connection, system.queue(service))
                quiet_looks = quiet_looks + 1 if pending == 0 else 0
                await asyncio.sleep(0.3)
    finally:
        for engine in engines:
            await engine.dispose()
    return time.perf_counter() - started


async def unrelayed(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")) or 0)


async def queued(connection: aio_pika.abc.AbstractConnection, queue_name: str) -> int:
    """Messages ready in a queue (not those a consumer holds); 0 if the queue does not exist."""
    try:
        async with connection.channel() as channel:
            queue = await channel.declare_queue(queue_name, passive=True)
            return int(queue.declaration_result.message_count or 0)
    except aio_pika.exceptions.ChannelNotFoundEntity:
        return 0


async def settle_databases(database_urls: Iterable[str]) -> None:
    """VACUUM ANALYZE each database now, as autovacuum would after bulk writes, rather than while measuring."""
    for url in database_urls:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("VACUUM (ANALYZE)"))
        finally:
            await engine.dispose()


async def drop_databases(urls: list[str]) -> None:
    for raw in urls:
        url = make_url(raw)
        engine = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        finally:
            await engine.dispose()


def cpu_times() -> list[int] | None:
    """The machine's CPU time counters (user nice system idle iowait irq softirq steal), Linux only."""
    try:
        with open("/proc/stat") as stat:
            return [int(field) for field in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None


def steal_share(before: list[int] | None, after: list[int] | None) -> str:
    """The share of CPU time the hypervisor gave to other guests meanwhile: a contended host slows every
    figure, so they are only comparable between runs with little of it."""
    if before is None or after is None:
        return "unknown"
    spent = [end - start for start, end in zip(before, after, strict=True)]
    return f"{spent[7] / max(sum(spent), 1):.0%}"
