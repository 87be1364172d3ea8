"""HTTP clients for the services behind the gateway, and the headers that may cross to them."""

import logging
from collections.abc import AsyncIterable, Mapping

import httpx
from httpx_aiohttp import AiohttpTransport

from kit.context import ANONYMOUS, CONTEXT_HEADER, ContextSigner, RequestContext
from kit.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"

# Hop-by-hop headers (RFC 9110 §7.6.1) and what only the gateway may set or see.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
_NEVER_FORWARDED = _HOP_BY_HOP | {
    "host",
    "cookie",
    "authorization",
    CONTEXT_HEADER.lower(),
    REQUEST_ID_HEADER.lower(),
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
}
# Services never set cookies; anything else of theirs goes back to the client as is.
_NEVER_RETURNED = _HOP_BY_HOP | {"set-cookie", "server", "date"}


def request_headers(incoming: Mapping[str, str] | list[tuple[str, str]]) -> list[tuple[str, str]]:
    items = incoming.items() if isinstance(incoming, Mapping) else incoming
    return [(name, value) for name, value in items if name.lower() not in _NEVER_FORWARDED]


def response_headers(upstream: httpx.Headers) -> list[tuple[str, str]]:
    return [(name, value) for name, value in upstream.multi_items() if name.lower() not in _NEVER_RETURNED]


# Idle connections are reused for 30 s, well inside the services' keep-alive (kit.cli).
_POOL = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0)


class Upstreams:
    """One transport per service: by URL in full mode, in-process (ASGI) in embedded mode and tests.

    Calls go straight to the transport, with no httpx client around it: the gateway needs none of a
    client's cookies, redirects or auth, and on the hot path they cost more than the call. By URL,
    requests travel on aiohttp under httpx's interface, at about half the CPU of httpx's own transport.
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        signer: ContextSigner,
        *,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.signer = signer
        self.timeout = httpx.Timeout(timeout)
        self.base_urls: dict[str, str] = {}
        self.transports: dict[str, httpx.AsyncBaseTransport] = {}
        for name, url in urls.items():
            transport = (transports or {}).get(name)
            self.base_urls[name] = f"http://{name}" if transport is not None else url.rstrip("/")
            self.transports[name] = transport or AiohttpTransport(limits=_POOL)

    @property
    def names(self) -> list[str]:
        return list(self.transports)

    async def close(self) -> None:
        for transport in self.transports.values():
            await transport.aclose()

    async def send(
        self,
        service: str,
        method: str,
        path: str,
        context: RequestContext,
        *,
        query: str = "",
        headers: list[tuple[str, str]] | None = None,
        content: bytes | AsyncIterable[bytes] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Forward one call with a context signed for `service`; 503 if the service cannot be reached.

        `path` is the request target as it must arrive, already percent-encoded segment by segment
        (`RouteMatch.upstream_path`, `gateway.paths.upstream_target`): with no dot segment and no
        escape of an unreserved character left, neither httpx's URL parser nor yarl's (aiohttp) has
        anything to normalize or re-decode, so the service sees the path that was authorized.
        The answer is read whole unless `stream`; then the caller reads it and must close it.
        """
        outgoing = [
            *(headers or []),
            (CONTEXT_HEADER, self.signer.sign(context, service)),
            (REQUEST_ID_HEADER, context.request_id),
        ]
        return await self._exchange(service, method, f"{path}?{query}" if query else path, outgoing, content, stream)

    async def call_internal(self, service: str, method: str, path: str, request_id: str) -> httpx.Response:
        """A call the gateway makes on its own behalf (storefront lookup, OpenAPI), as anonymous."""
        context = RequestContext(principal=ANONYMOUS, request_id=request_id, internal=True)
        return await self.send(service, method, path, context)

    async def health(self, service: str) -> httpx.Response:
        return await self._exchange(service, "GET", "/healthz", [], None, False, httpx.Timeout(2.0))

    async def _exchange(
        self,
        service: str,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        content: bytes | AsyncIterable[bytes] | None,
        stream: bool,
        wait: httpx.Timeout | None = None,
    ) -> httpx.Response:
        request = httpx.Request(
            method,
            self.base_urls[service] + target,
            headers=headers,
            content=content,
            extensions={"timeout": (wait or self.timeout).as_dict()},
        )
        try:
            response = await self.transports[service].handle_async_request(request)
            response.request = request
            if not stream:
                try:
                    await response.aread()
                finally:
                    await response.aclose()
        except (httpx.TransportError, OSError) as error:
            logger.warning("service unreachable", extra={"service": service, "error": repr(error)})
            raise ServiceUnavailable(
                f"The {service} service is unavailable right now; try again shortly.",
                headers={"Retry-After": "5"},
            ) from error
        return response
