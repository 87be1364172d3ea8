"""HTTP clients for the services behind the gateway, and the headers that may cross to them."""

import logging
from collections.abc import AsyncIterable, Mapping

import httpx

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


class Upstreams:
    """One client per service: by URL in full mode, by in-process transport in embedded mode."""

    def __init__(
        self,
        urls: Mapping[str, str],
        signer: ContextSigner,
        *,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.signer = signer
        self.clients: dict[str, httpx.AsyncClient] = {}
        transports = transports or {}
        for name, url in urls.items():
            transport = transports.get(name)
            base_url = f"http://{name}" if transport is not None else url
            self.clients[name] = httpx.AsyncClient(
                base_url=base_url, transport=transport, timeout=timeout, follow_redirects=False
            )

    @property
    def names(self) -> list[str]:
        return list(self.clients)

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

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
        """Forward one call with a context signed for `service`; 503 if the service cannot be reached."""
        client = self.clients[service]
        outgoing = [
            *(headers or []),
            (CONTEXT_HEADER, self.signer.sign(context, service)),
            (REQUEST_ID_HEADER, context.request_id),
        ]
        url = f"{path}?{query}" if query else path
        request = client.build_request(method, url, headers=outgoing, content=content)
        try:
            return await client.send(request, stream=stream)
        except (httpx.TransportError, OSError) as error:
            logger.warning("service unreachable", extra={"service": service, "error": repr(error)})
            raise ServiceUnavailable(
                f"The {service} service is unavailable right now; try again shortly.",
                headers={"Retry-After": "5"},
            ) from error

    async def call_internal(self, service: str, method: str, path: str, request_id: str) -> httpx.Response:
        """A call the gateway makes on its own behalf (storefront lookup, OpenAPI), as anonymous."""
        context = RequestContext(principal=ANONYMOUS, request_id=request_id)
        return await self.send(service, method, path, context)

    async def health(self, service: str) -> httpx.Response:
        return await self.clients[service].get("/healthz", timeout=2.0)
