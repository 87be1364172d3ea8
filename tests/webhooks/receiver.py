"""A real webhook receiver for the tests: an aiohttp app on 127.0.0.1 that records every request and answers
as each test scripts it (a status, a delay, a redirect, Retry-After), and can go down and come back."""

import asyncio
import socket
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web
from standardwebhooks.webhooks import Webhook


@dataclass(frozen=True)
class Answer:
    """How the receiver answers one request."""

    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering (past the sender's timeout: no answer in time).
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # the loop's clock when it arrived

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> object:
        """The JSON body, once the independent `standardwebhooks` verifier accepts its signature with `secret`."""
        return Webhook(secret).verify(self.body, self.headers)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Receiver:
    """Answers 200 unless told otherwise: `answer_next(...)` queues answers, used in order."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.received: list[Received] = []
        self.answers: deque[Answer] = deque()
        self._runner: web.AppRunner | None = None
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._app = app

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer_next(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        loop = asyncio.get_running_loop()
        self.received.append(
            Received(request.path, {k.lower(): v for k, v in request.headers.items()}, body, loop.time())
        )
        answer = self.answers.popleft() if self.answers else Answer()
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return web.Response(status=answer.status, text=answer.body, headers=answer.headers)

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def at(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]
