"""The test TCP proxy itself: forwards bytes, refuses while paused, drops live connections, resumes."""

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def echo_server() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    stopped = threading.Event()

    def serve() -> None:
        while not stopped.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            connection.settimeout(None)
            threading.Thread(target=_echo, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stopped.set()
    thread.join()
    server.close()


def _echo(connection: socket.socket) -> None:
    with connection, contextlib.suppress(OSError):
        while data := connection.recv(1024):
            connection.sendall(data)


def _roundtrip(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.sendall(b"ping")
        return client.recv(1024)


def test_the_proxy_forwards_pauses_and_resumes(echo_server: int) -> None:
    with TcpProxy("127.0.0.1", echo_server) as proxy:
        assert _roundtrip(proxy.port) == b"ping"
        live = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        live.sendall(b"x")
        assert live.recv(1) == b"x"

        proxy.pause()

        with pytest.raises(ConnectionRefusedError):
            _roundtrip(proxy.port)
        # The live connection was dropped: reading ends (EOF or reset) instead of hanging.
        with contextlib.suppress(ConnectionResetError):
            assert live.recv(1) == b""
        live.close()

        proxy.resume()

        assert _roundtrip(proxy.port) == b"ping"
