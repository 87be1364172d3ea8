"""An ASGI app served on a real socket, and a raw HTTP/1.1 client that sends the path exactly as given.

httpx (and every other full client) normalizes a URL's dot segments before sending it; an attacker's
`curl --path-as-is` does not. Tests about what a path means to the gateway send it with this client.
"""

import asyncio
import socket
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp


@dataclass(frozen=True)
class LiveServer:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[LiveServer]:
    """`app` under uvicorn (as in production, kit.cli) on a free loopback port, in this event loop."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="auto"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        yield LiveServer("127.0.0.1", listener.getsockname()[1])
    finally:
        server.should_exit = True
        await task
        listener.close()


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


async def _read_response(reader: asyncio.StreamReader, method: str) -> RawResponse:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if method == "HEAD" or status in (204, 304):
        return RawResponse(status, headers, b"")
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return RawResponse(status, headers, bytes(body))
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    if "content-length" in headers:
        return RawResponse(status, headers, await reader.readexactly(int(headers["content-length"])))
    return RawResponse(status, headers, await reader.read())


def _head(method: str, target: str, host: str, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def raw_request(
    server: LiveServer,
    method: str,
    target: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> RawResponse:
    """One request with `target` sent byte for byte as given (no normalization, no encoding)."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        sized = [*headers, ("Content-Length", str(len(body)))] if body else list(headers)
        writer.write(_head(method, target, f"{server.host}:{server.port}", sized) + body)
        await writer.drain()
        return await asyncio.wait_for(_read_response(reader, method), 30)
    finally:
        writer.close()


@dataclass(frozen=True)
class StreamedUpload:
    response: RawResponse
    # Body bytes handed to the socket before the answer came (the kernel's buffers hold some of them).
    bytes_sent: int


async def stream_request(
    server: LiveServer,
    method: str,
    target: str,
    chunks: Iterable[bytes],
    *,
    headers: Sequence[tuple[str, str]] = (),
    content_length: int | None = None,
) -> StreamedUpload:
    """Send a body from `chunks` (chunked unless `content_length`), stopping as soon as an answer comes.

    The answer is read while the body is still being written, as a server may refuse a body early.
    """
    reader, writer = await asyncio.open_connection(server.host, server.port)
    framing = (
        ("Content-Length", str(content_length)) if content_length is not None else ("Transfer-Encoding", "chunked")
    )
    writer.write(_head(method, target, f"{server.host}:{server.port}", [*headers, framing]))
    answer = asyncio.create_task(_read_response(reader, method))
    sent = 0
    try:
        for chunk in chunks:
            if answer.done():
                break
            writer.write(chunk if content_length is not None else b"%x\r\n%b\r\n" % (len(chunk), chunk))
            sent += len(chunk)
            drained = asyncio.ensure_future(writer.drain())
            await asyncio.wait({drained, answer}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
            if not drained.done():
                drained.cancel()
                break
            if drained.exception() is not None:
                break  # the server closed the connection: its answer is already on its way
        else:
            if content_length is None:
                writer.write(b"0\r\n\r\n")
        return StreamedUpload(await asyncio.wait_for(answer, 30), sent)
    finally:
        answer.cancel()
        writer.close()
