"""The JSON API: everything under `/api/...` and `/store/{slug}/api/...` goes through the route table."""

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway import csrf
from gateway.pipeline import Caller, Gateway, Outcome, forwardable_headers
from gateway.routes import GATEWAY
from gateway.upstreams import response_headers

PATHS = ("/api/{rest:path}", "/store/{slug}/api/{rest:path}", "/store/{slug}/api")


def install(app: FastAPI) -> None:
    """Route the API's paths to the proxy, a plain ASGI app: the route table decides the rest, so
    FastAPI's per-endpoint machinery (a request model, dependencies) would be pure cost on the hot path.
    Errors still reach the app's problem handlers. Routes added before this one take precedence."""
    for path in PATHS:
        app.router.routes.append(Route(path, _ProxyApp(), include_in_schema=False))


class _ProxyApp:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await proxy(request, request.app.state.gateway)
        await response(scope, receive, send)


async def proxy(request: Request, gateway: Gateway) -> Response:
    match = gateway.routes.match(request.method, request.url.path)
    caller = await gateway.identify(request, slug=match.slug)
    gateway.check_csrf(request, match, caller)
    if match.route.service == GATEWAY:
        return await _gateway_owned(gateway, caller)
    has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
    outcome = await gateway.forward(
        match,
        caller,
        request.method,
        query=request.url.query,
        headers=forwardable_headers(request),
        content=request.stream() if has_body else None,
    )
    return await _to_response(request, gateway, caller, outcome)


async def _gateway_owned(gateway: Gateway, caller: Caller) -> Response:
    # The gateway-owned API endpoints are the two sign-outs: /api/v1/auth/logout and /store/{slug}/api/logout.
    await gateway.end_session(caller)
    response = Response(status_code=204)
    gateway.clear_session_cookie(response, caller)
    return response


async def _to_response(request: Request, gateway: Gateway, caller: Caller, outcome: Outcome) -> Response:
    upstream = outcome.response
    headers = response_headers(upstream.headers)
    if outcome.new_session is None and not upstream.is_stream_consumed:
        if not _small(upstream):
            return StreamingResponse(_relay(upstream), status_code=upstream.status_code, headers=_merge(headers))
        # Most answers are small JSON: one read and a plain response cost less than relaying chunks.
        try:
            body = await upstream.aread()
        finally:
            await upstream.aclose()
        kept = [(name, value) for name, value in headers if name.lower() not in ("content-length", "content-encoding")]
        return Response(body, status_code=upstream.status_code, headers=_merge(kept))
    # Buffered (sign-in answers): httpx has decoded the body, so its length and encoding are ours to set.
    kept = [(name, value) for name, value in headers if name.lower() not in ("content-length", "content-encoding")]
    response = Response(upstream.content, status_code=upstream.status_code, headers=_merge(kept))
    if outcome.new_session is not None:
        gateway.set_session_cookie(response, outcome.new_session, caller)
        # A JSON client signed in with a cookie needs the CSRF token for its next change.
        csrf.token_for(request)
        csrf.set_cookie(request, response, secure=gateway.settings.cookie_secure)
    return response


# Answers up to this size (by Content-Length) are read whole; larger or unsized ones (CSV exports) stream.
BUFFERED_RESPONSE_BYTES = 256 * 1024


def _small(upstream: httpx.Response) -> bool:
    length = upstream.headers.get("content-length")
    return length is not None and length.isdigit() and int(length) <= BUFFERED_RESPONSE_BYTES


async def _relay(upstream: httpx.Response) -> AsyncIterator[bytes]:
    # Closed in `finally`, so a client that goes away mid-body does not leak the upstream connection.
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    finally:
        await upstream.aclose()


def _merge(headers: list[tuple[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in headers:
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged
