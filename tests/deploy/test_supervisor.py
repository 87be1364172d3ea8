"""`make up` (`python -m deploy.local`) leaves nothing behind: its children die with it, even when it is
killed hard, and the next start gets their ports."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from deploy.components import SERVICES
from deploy.local import REPOSITORY, free_port
from kit.settings import PlatformSettings
from tests import infrastructure
from tests.conftest import DatabaseFactory
from tests.infrastructure import Infrastructure
from tests.support.events import wait_until
from tests.support.systems import platform_environment

# Linux only, as the mechanism it checks (PR_SET_PDEATHSIG) and the /proc it reads; CI runs on Linux.

PROCESSES = len(SERVICES) * 3 + 1  # an API, a worker and a relay per service, and the gateway
BANNER = b"Distribu is running"


@dataclass(frozen=True)
class ProcessState:
    parent: int
    group: int
    started: int  # clock ticks after boot: tells a pid from a later process that reuses it
    zombie: bool


def process_table() -> dict[int, ProcessState]:
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # The command name (in parentheses) may hold spaces: the fields that follow it are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = ProcessState(
            parent=int(fields[1]), group=int(fields[2]), started=int(fields[19]), zombie=fields[0] == "Z"
        )
    return table


def descendants(pid: int) -> dict[int, int]:
    """Every live process below `pid`, children and theirs: pid -> start time."""
    table = process_table()
    found: dict[int, int] = {}
    parents = {pid}
    while parents:
        children = {child for child, state in table.items() if state.parent in parents and not state.zombie}
        children -= found.keys()
        found |= {child: table[child].started for child in children}
        parents = children
    return found


def survivors(processes: dict[int, int]) -> list[int]:
    """Which of `processes` still run, or anything else in their process groups (a zombie is gone: it
    holds no port, only an entry its new parent has not reaped yet)."""
    live = {pid: state for pid, state in process_table().items() if not state.zombie}
    return sorted(
        pid
        for pid, state in live.items()
        if processes.get(pid) == state.started or (state.group in processes and state.group != pid)
    )


def port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


@dataclass
class Supervisor:
    """`python -m deploy.local` started by a test, and the processes it started (once it is running)."""

    process: "subprocess.Popen[bytes]"
    output: Path
    children: dict[int, int] = field(default_factory=dict)

    async def wait_until_running(self) -> None:
        """Wait for the banner `make up` prints once every process is ready; note its children."""

        async def running() -> bool:
            printed = await asyncio.to_thread(self.output.read_bytes)
            if self.process.poll() is not None:
                raise AssertionError(f"deploy.local exited with {self.process.returncode}:\n{printed[-3000:].decode()}")
            return BANNER in printed

        await wait_until(running, within=120, interval=0.2, what="every process of the topology to be ready")
        self.children = descendants(self.process.pid)
        assert len(self.children) == PROCESSES, f"expected {PROCESSES} processes, found {self.children}"


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def supervisor(arguments: list[str], env: dict[str, str], output: Path) -> Iterator[Supervisor]:
    """`python -m deploy.local` as `make up` runs it; whatever it leaves behind is killed afterwards, so a
    failing test does not hold the ports either."""
    with output.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "deploy.local", *arguments],
            cwd=REPOSITORY,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # As in a terminal, where Ctrl-C reaches it: a suite started in the background (`pytest &`, CI)
            # hands its children SIGINT ignored, and `make up` leaves an ignored signal ignored.
            preexec_fn=_interruptible,
        )
    started = Supervisor(process, output)
    try:
        yield started
    finally:
        children = started.children or (descendants(process.pid) if process.poll() is None else {})
        if process.poll() is None:
            process.kill()
        process.wait()
        for pid in survivors(children):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


async def test_a_supervisor_killed_hard_takes_every_process_with_it_and_frees_the_ports_for_the_next_start(
    infra: Infrastructure, platform: PlatformSettings, new_database: DatabaseFactory, tmp_path: Path
) -> None:
    namespace = f"{platform.namespace}-up"
    ports = {name: free_port() for name in ("gateway", *SERVICES)}
    env = {
        **os.environ,
        **platform_environment(platform, namespace),
        **{f"{service.upper()}_DATABASE_URL": await new_database(f"up_{service}") for service in SERVICES},
    }
    arguments = [f"--port={ports['gateway']}", *(f"--service-port={name}={ports[name]}" for name in SERVICES)]
    try:
        with supervisor([*arguments, f"--log-dir={tmp_path / 'first'}"], env, tmp_path / "first.out") as first:
            await first.wait_until_running()

            first.process.kill()
            first.process.wait()

            async def all_gone() -> bool:
                return not survivors(first.children)

            await wait_until(all_gone, within=10, what=f"the children to die with their supervisor: {first.children}")
            assert [name for name, port in ports.items() if port_taken(port)] == []

        # The next `make up` starts on the same ports, and a Ctrl-C (SIGINT) stops it and all it started.
        with supervisor([*arguments, f"--log-dir={tmp_path / 'second'}"], env, tmp_path / "second.out") as second:
            await second.wait_until_running()

            second.process.send_signal(signal.SIGINT)
            assert second.process.wait(60) == 0, second.output.read_text()[-3000:]
            assert survivors(second.children) == []
            assert "did not stop cleanly" not in second.output.read_text()
    finally:
        await infrastructure.delete_broker_namespace(infra, namespace, len(platform.consumer_retry_delays))
