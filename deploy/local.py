"""Full mode on one machine: every service's API, worker and relay plus the gateway, one process each.

`make up` runs this against PostgreSQL, RabbitMQ and Redis on their default ports (or the URLs in
the environment). The end-to-end tests start the same `Topology` with their own databases,
namespace and free ports.
"""

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

import aio_pika
import httpx
from aiormq.exceptions import AMQPError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from deploy.components import GATEWAY_PORT, SEALING_KEYS, SERVICE_PORTS, SERVICES, local_sealing_keys
from kit.settings import PlatformSettings
from services.webhooks.sealing import new_key

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_BROKER_URL = PlatformSettings.model_fields["broker_url"].default
DEFAULT_NAMESPACE = PlatformSettings.model_fields["namespace"].default


def default_database_url(service: str) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/distribu_{service}"


def database_urls(env: Mapping[str, str]) -> dict[str, str]:
    """Each service's database URL: `<NAME>_DATABASE_URL` if set, else the local default."""
    return {
        service: env.get(f"{service.upper()}_DATABASE_URL") or default_database_url(service) for service in SERVICES
    }


async def ensure_databases(urls: Iterable[str]) -> list[str]:
    """Create the PostgreSQL databases that do not exist yet; returns the names created."""
    created = []
    for raw in urls:
        url = make_url(raw)
        if not url.drivername.startswith("postgresql") or not url.database:
            continue
        # CREATE DATABASE cannot run in a transaction, hence autocommit, from the server's `postgres` database.
        engine = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                exists = await connection.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
                )
                if not exists:
                    await connection.execute(text(f'CREATE DATABASE "{url.database}"'))
                    created.append(url.database)
        finally:
            await engine.dispose()
    return created


async def consumed_queues(broker_url: str, queues: Iterable[str]) -> set[str]:
    """Which of `queues` exist with at least one consumer (an unreachable broker: none)."""
    names = list(queues)
    if not names:
        return set()
    consumed = set()
    try:
        connection = await aio_pika.connect(broker_url, timeout=2)
    except (OSError, AMQPError):
        return set()
    async with connection:
        for name in names:
            channel = await connection.channel()
            try:
                declared = await channel.declare_queue(name, passive=True)
            except AMQPError:
                continue  # not declared yet (its channel is closed by the refusal)
            if declared.declaration_result.consumer_count:
                consumed.add(name)
            await channel.close()
    return consumed


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now, for a topology of its own (tests, benchmarks)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


# What each child runs first on Linux, as `python -c`, before it execs its own program: it asks the kernel to
# SIGKILL it when the supervisor dies (PR_SET_PDEATHSIG survives exec), so no process outlives a supervisor
# killed hard and holds its port against the next start. SIGKILL rather than SIGTERM: nobody is left to
# escalate, and a supervisor is usually killed hard because its children were slow to stop. A separate
# interpreter rather than subprocess's `preexec_fn`, which can deadlock a threaded parent (the tests' is).
DIE_WITH_SUPERVISOR = """\
import ctypes, os, signal, sys
PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
    raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
if os.getppid() != int(sys.argv[1]):
    sys.exit("the supervisor exited before this process started")
os.execv(sys.argv[2], sys.argv[2:])
"""


def dying_with_supervisor(argv: list[str]) -> list[str]:
    """`argv` run so that it dies with this process (Linux; elsewhere `argv` as it is)."""
    if not sys.platform.startswith("linux"):
        return argv
    # -I -S: the wrapper needs nothing beyond the standard library, so it skips the environment and site-packages.
    return [sys.executable, "-I", "-S", "-c", DIE_WITH_SUPERVISOR, str(os.getpid()), *argv]


def stopped_cleanly(exit_code: int | None) -> bool:
    """Exited 0, or by the SIGTERM it was sent: uvicorn re-raises that signal once its graceful shutdown is done."""
    return exit_code in (0, -signal.SIGTERM)


@dataclass
class ChildProcess:
    """One process of the topology: how to start it and, for HTTP servers, where it reports readiness."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str | None
    log_path: Path | None = None
    # A worker serves no HTTP: it is ready once it consumes this queue.
    ready_queue: str | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def exit_code(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class Topology:
    """The full topology as child processes: start, wait until ready, stop (SIGTERM, then SIGKILL)."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        ports: Mapping[str, int] | None = None,
        host: str = "127.0.0.1",
        log_dir: Path | None = None,
        process_env: Mapping[str, Mapping[str, str]] | None = None,
        python: str = sys.executable,
    ) -> None:
        """`env` is added to this process's environment for every child; `process_env` adds variables to
        one child, by name (`identity`, `identity-worker`, `identity-relay`, `gateway`). `ports` maps
        `gateway` and service names to ports (defaults: 8000 and 8101-8105). Without `log_dir` children
        log to this terminal."""
        self.host = host
        self.ports = {"gateway": GATEWAY_PORT, **SERVICE_PORTS, **(ports or {})}
        self.log_dir = log_dir
        base = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        base.setdefault("DISTRIBU_INTERNAL_SECRET", secrets.token_urlsafe(48))
        # A run's own key unless given (`make up` gives the one it keeps in .data, see main).
        base.setdefault(SEALING_KEYS, json.dumps([new_key()]))
        self.env = base
        extra = process_env or {}

        def child(
            name: str,
            argv: list[str],
            ready_url: str | None = None,
            variables: Mapping[str, str] | None = None,
            ready_queue: str | None = None,
        ) -> ChildProcess:
            return ChildProcess(
                name=name,
                argv=[python, *argv],
                env={**base, **(variables or {}), **extra.get(name, {})},
                ready_url=ready_url,
                log_path=log_dir / f"{name}.log" if log_dir is not None else None,
                ready_queue=ready_queue,
            )

        self.processes: list[ChildProcess] = []
        for service in SERVICES:
            api = ["-m", f"services.{service}", "api", "--host", host, "--port", str(self.ports[service])]
            self.processes.append(child(service, api, f"{self.service_url(service)}/readyz"))
            worker = ["-m", f"services.{service}", "worker"]
            queue = f"{base.get('DISTRIBU_NAMESPACE') or DEFAULT_NAMESPACE}.{service}.events"
            self.processes.append(child(f"{service}-worker", worker, ready_queue=queue))
            self.processes.append(child(f"{service}-relay", ["-m", f"services.{service}", "relay"]))
        gateway_env = {f"GATEWAY_{service.upper()}_URL": self.service_url(service) for service in SERVICES}
        gateway_env |= {"GATEWAY_HOST": host, "GATEWAY_PORT": str(self.ports["gateway"])}
        gateway_env["GATEWAY_PUBLIC_URL"] = base.get("GATEWAY_PUBLIC_URL") or self.gateway_url
        self.processes.append(child("gateway", ["-m", "gateway"], f"{self.gateway_url}/readyz", gateway_env))

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.ports['gateway']}"

    def service_url(self, service: str) -> str:
        return f"http://{self.host}:{self.ports[service]}"

    def process(self, name: str) -> ChildProcess:
        return next(process for process in self.processes if process.name == name)

    def start(self) -> None:
        """Start every child; each dies with this process, however it ends (see `DIE_WITH_SUPERVISOR`)."""
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        for process in self.processes:
            self.start_process(process)

    def start_process(self, process: ChildProcess, env: Mapping[str, str] | None = None) -> None:
        """Start one child (again, for tests that stop some), with `env` added to its environment."""
        if sys.platform.startswith("linux") and threading.current_thread() is not threading.main_thread():
            # Linux sends the parent-death signal when the *thread* that started a child ends.
            raise RuntimeError(
                "start the topology from the main thread: its children die with the thread that starts them"
            )
        output: IO[bytes] | None = process.log_path.open("ab") if process.log_path is not None else None
        try:
            # Own session: a terminal's Ctrl-C reaches only this supervisor, which stops children in order.
            process.popen = subprocess.Popen(  # noqa: S603 - argv is built in __init__ from fixed module names
                dying_with_supervisor(process.argv),
                env={**process.env, **(env or {})},
                cwd=REPOSITORY,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT if output is not None else None,
                start_new_session=True,
            )
        finally:
            if output is not None:
                output.close()

    def exited(self) -> list[ChildProcess]:
        return [process for process in self.processes if process.exit_code is not None]

    def wait_ready(self, timeout: float = 90.0, *, cancel: threading.Event | None = None) -> None:
        """Return once every API and the gateway answer 200 on /readyz and every worker consumes its
        service's queue, so no event published from then on misses its consumers (or `cancel` is set).

        Raises if a process exits or time runs out first.
        """
        deadline = time.monotonic() + timeout
        pending = [process for process in self.processes if process.ready_url or process.ready_queue]
        broker_url = self.env.get("DISTRIBU_BROKER_URL") or DEFAULT_BROKER_URL
        with httpx.Client(timeout=2.0) as client:
            while pending and not (cancel is not None and cancel.is_set()):
                for dead in self.exited():
                    raise RuntimeError(self.describe_exit(dead))
                consumed = asyncio.run(consumed_queues(broker_url, [p.ready_queue for p in pending if p.ready_queue]))
                still = []
                for process in pending:
                    if process.ready_queue is not None:
                        if process.ready_queue not in consumed:
                            still.append(process)
                        continue
                    assert process.ready_url is not None
                    try:
                        if client.get(process.ready_url).status_code != httpx.codes.OK:
                            still.append(process)
                    except httpx.TransportError:
                        still.append(process)
                pending = still
                if pending and time.monotonic() > deadline:
                    names = ", ".join(process.name for process in pending)
                    raise TimeoutError(f"not ready after {timeout:.0f}s: {names}")
                if pending:
                    time.sleep(0.25)

    def stop(self, timeout: float = 15.0) -> dict[str, int | None]:
        """SIGTERM every child's process group (the gateway, then the APIs, then the workers, relays last
        so they can drain), SIGKILL the groups of those that outlive `timeout`.

        Returns each child's exit code.
        """
        order = sorted(self.processes, key=stop_rank)
        for process in order:
            signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in order:
            if process.popen is None:
                continue
            try:
                process.popen.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                signal_group(process, signal.SIGKILL)
                process.popen.wait()
        return {process.name: process.exit_code for process in self.processes}

    def kill(self) -> None:
        """SIGKILL every child's process group now (a `stop` in progress then finds them gone)."""
        for process in self.processes:
            signal_group(process, signal.SIGKILL)

    def describe_exit(self, process: ChildProcess) -> str:
        where = f" (log: {process.log_path})" if process.log_path is not None else ""
        tail = process.log_tail()
        return f"{process.name} exited with code {process.exit_code}{where}" + (f"\n{tail}" if tail else "")


def signal_group(process: ChildProcess, signum: signal.Signals) -> None:
    """Send `signum` to the process group a running child leads (its own: `start_new_session`)."""
    # Only while the child is unreaped: until then its pid, and so its group id, cannot be reused.
    if process.popen is not None and process.popen.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signum)


def stop_rank(process: ChildProcess) -> int:
    """Where a process comes in the stopping order: gateway, APIs, workers, relays."""
    if process.name == "gateway":
        return 0
    if process.name.endswith("-relay"):
        return 3
    if process.name.endswith("-worker"):
        return 2
    return 1


def _banner(topology: Topology) -> str:
    url = topology.gateway_url
    services = "\n".join(f"  {name:<10}    {topology.service_url(name)}" for name in SERVICES)
    logs = f"\nLogs: {topology.log_dir}/<process>.log\n" if topology.log_dir is not None else ""
    return (
        f"\nDistribu is running (full mode: {len(topology.processes)} processes).\n\n"
        f"  Dashboard     {url}/dashboard\n  Sign up       {url}/signup\n  API docs      {url}/api/docs\n\n"
        f"Services (internal; they refuse calls that do not come through the gateway):\n{services}\n"
        f"{logs}\nPress Ctrl-C to stop.\n"
    )


def service_port(value: str) -> tuple[str, int]:
    """`identity=9101`, as `--service-port` takes it."""
    service, _, port = value.partition("=")
    if service not in SERVICES or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected SERVICE=PORT with SERVICE one of {', '.join(SERVICES)}")
    return service, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", GATEWAY_PORT)))
    parser.add_argument(
        "--service-port",
        type=service_port,
        action="append",
        default=[],
        metavar="SERVICE=PORT",
        help="a service API's port instead of its default (8101-8105); repeatable",
    )
    parser.add_argument("--log-dir", type=Path, default=Path(".data/logs"), help="one log file per process")
    parser.add_argument("--logs-to-terminal", action="store_true", help="interleave every process's log here")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    topology: Topology | None = None

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set() and topology is not None:
            topology.kill()  # asked twice: no more waiting for a graceful stop
        stopping.set()

    # SIGHUP too: a closed terminal stops everything rather than killing this supervisor alone. A signal
    # ignored from the start (`nohup`, a background job) stays ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, request_stop)

    try:
        created = asyncio.run(ensure_databases(database_urls(os.environ).values()))
    except (OSError, SQLAlchemyError) as error:
        print(f"Cannot reach PostgreSQL to prepare the databases: {error}", file=sys.stderr)
        return 1
    for name in created:
        print(f"created database {name}")

    topology = Topology(
        {SEALING_KEYS: local_sealing_keys(Path(".data"))},
        ports={"gateway": args.port, **dict(args.service_port)},
        host=args.host,
        log_dir=None if args.logs_to_terminal else args.log_dir,
    )
    status = 0
    try:
        topology.start()
        topology.wait_ready(cancel=stopping)
        if not stopping.is_set():
            print(_banner(topology), flush=True)
        while not stopping.wait(0.5):
            if dead := topology.exited():
                print(f"{topology.describe_exit(dead[0])}\nStopping everything.", file=sys.stderr)
                status = 1
                break
    except (RuntimeError, TimeoutError) as error:
        print(f"Distribu did not start: {error}", file=sys.stderr)
        status = 1
    finally:
        print("Stopping Distribu... (Ctrl-C again to kill every process now)", file=sys.stderr, flush=True)
        exit_codes = topology.stop()
    for name, code in exit_codes.items():
        if not stopped_cleanly(code):
            print(f"{name} did not stop cleanly (exit code {code})", file=sys.stderr)
    print("Distribu stopped.", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
