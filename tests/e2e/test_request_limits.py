"""An oversized body against the full topology: refused at the gateway with 413, costing neither the
gateway nor identity memory."""

import itertools
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.live_http import LiveServer, stream_request
from tests.support.systems import RunningSystem

MIB = 1024 * 1024
# An anonymous sign-in of 200 MB took the gateway and identity to ~700 MB each before bodies were capped.
HUGE = 200 * MIB
# What the processes may grow by while refusing it: allocator noise, not the body.
ALLOWED_GROWTH_KIB = 5 * 1024


def _resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def _pid(system: RunningSystem, process: str) -> int:
    assert system.topology is not None
    popen = system.topology.process(process).popen
    assert popen is not None
    return popen.pid


def _huge_body() -> Iterator[bytes]:
    # The same 1 MiB object 200 times: the test holds 1 MiB, not 200.
    return itertools.repeat(b"x" * MIB, HUGE // MIB)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_200_mb_anonymous_login_is_413_without_growing_gateway_or_identity(
    full_system: RunningSystem, framing: str
) -> None:
    pids = {name: _pid(full_system, name) for name in ("gateway", "identity")}
    gateway = urlsplit(full_system.base_url)
    server = LiveServer(gateway.hostname or "127.0.0.1", gateway.port or 80)
    length = HUGE if framing == "content-length" else None
    headers = [("Content-Type", "application/json")]

    async def huge_login() -> int:
        upload = await stream_request(
            server, "POST", "/api/v1/auth/login", _huge_body(), headers=headers, content_length=length
        )
        return upload.response.status

    # Once before measuring, so the code path's own first-use allocations are not counted.
    assert await huge_login() == 413
    before = {name: _resident_kib(pid) for name, pid in pids.items()}

    assert await huge_login() == 413

    after = {name: _resident_kib(pid) for name, pid in pids.items()}
    growth = {name: after[name] - before[name] for name in pids}
    assert all(kib < ALLOWED_GROWTH_KIB for kib in growth.values()), growth
