"""The gateway on a real socket in front of stand-in services on real sockets, each recording raw paths.

What `make_gateway` cannot show: a path sent as the client wrote it (httpx would normalize it), and
the target the gateway's own HTTP client (httpx over aiohttp) puts on the wire to a service.
"""

import json
import secrets
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.app import create_app
from gateway.settings import SERVICES, GatewaySettings
from kit.context import ContextSigner
from kit.settings import PlatformSettings
from tests.gateway.conftest import FakeService
from tests.infrastructure import Infrastructure
from tests.support.live_http import LiveServer, serve


@dataclass
class RawPathRecorder:
    """Wraps a service's app: every request's method and raw target, as it arrived on the socket."""

    app: ASGIApp
    targets: list[tuple[str, bytes]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/healthz":
            self.targets.append((scope["method"], scope["raw_path"]))
        await self.app(scope, receive, send)


@dataclass
class LiveGateway:
    server: LiveServer
    services: dict[str, FakeService]
    recorders: dict[str, RawPathRecorder]
    redis: Redis
    namespace: str

    def targets_reached(self) -> list[tuple[str, str, bytes]]:
        """Every (service, method, raw target) that reached any service so far."""
        return [
            (name, method, target) for name, recorder in self.recorders.items() for method, target in recorder.targets
        ]

    def forget_calls(self) -> None:
        for recorder in self.recorders.values():
            recorder.targets.clear()
        for service in self.services.values():
            service.received.clear()


@asynccontextmanager
async def live_gateway(
    platform: PlatformSettings,
    signer: ContextSigner,
    redis: Redis,
    *,
    apps: Mapping[str, ASGIApp] | None = None,
) -> AsyncIterator[LiveGateway]:
    """The gateway by URL in front of the stand-ins (or `apps`, by service name), as in full mode."""
    namespace = f"{platform.namespace}-{secrets.token_hex(4)}"
    services = {name: FakeService(name, signer) for name in SERVICES}
    recorders = {name: RawPathRecorder((apps or {}).get(name) or services[name].app()) for name in SERVICES}
    async with AsyncExitStack() as stack:
        urls: dict[str, Any] = {
            f"{name}_url": (await stack.enter_async_context(serve(recorders[name]))).url for name in SERVICES
        }
        settings = GatewaySettings(**urls)
        app = create_app(settings, platform.model_copy(update={"namespace": namespace}), redis=redis)
        server = await stack.enter_async_context(serve(app))
        try:
            yield LiveGateway(server, services, recorders, redis, namespace)
        finally:
            keys = [key async for key in redis.scan_iter(f"{namespace}:*")]
            if keys:
                await redis.delete(*keys)


@asynccontextmanager
async def gateway_with_storefront(
    platform: PlatformSettings, signer: ContextSigner, infra: Infrastructure, slug: str
) -> AsyncIterator[LiveGateway]:
    """A live gateway with its own Redis client (for a module-wide fixture) and a storefront at `slug`,
    found in the directory without asking identity, so a storefront path reaches no service but its own."""
    redis = Redis.from_url(infra.redis_url, decode_responses=True)
    try:
        async with live_gateway(platform, signer, redis) as running:
            entry = {"companyId": str(uuid.uuid4()), "name": "Blue Plate", "slug": slug}
            await redis.set(f"{running.namespace}:storefront:{slug}", json.dumps(entry))
            yield running
    finally:
        await redis.aclose()
