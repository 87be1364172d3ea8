"""The JSON API: everything under `/api/...` and `/store/{slug}/api/...` goes through the route table."""

from collections.abc import AsyncIterator
from urllib.parse import quote, urlsplit

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway.idempotency import MAX_STORED_BODY_BYTES, Claim, Replay, fingerprint, requested_key
from gateway.pipeline import Caller, Gateway, Outcome, forwardable_headers
from gateway.routes import GATEWAY, STORE_PREFIX, STOREFRONT_UPSTREAM_PREFIX, RouteMatch
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
    # The path as checked by middleware.PathGuard: `request.url.path` would re-parse it, and lose what
    # follows a decoded `?` or `#`.
    match = gateway.routes.match(request.method, request.scope["path"])
    caller = await gateway.identify(request, slug=match.slug)
    gateway.check_csrf(request, match, caller)
    if match.route.service == GATEWAY:
        return await _gateway_owned(gateway, caller)
    claimed = await _idempotency_claim(request, gateway, caller, match)
    if isinstance(claimed, Replay):
        return claimed.response
    has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
    if claimed is None:
        outcome = await gateway.forward(
            match,
            caller,
            request.method,
            query=request.url.query,
            headers=forwardable_headers(request),
            content=request.stream() if has_body else None,
        )
        return await _to_response(request, gateway, caller, outcome, match)
    claim, body = claimed
    try:
        outcome = await gateway.forward(
            match, caller, request.method, query=request.url.query, headers=forwardable_headers(request), content=body
        )
        upstream = outcome.response
        if _declared_length(upstream) > MAX_STORED_BODY_BYTES:
            # Known too big to keep: relayed as usual, and the key is free again.
            await gateway.idempotency.release(claim)
            return await _to_response(request, gateway, caller, outcome, match)
        try:
            await upstream.aread()
        finally:
            await upstream.aclose()
        response = await _to_response(request, gateway, caller, outcome, match)
        await gateway.idempotency.complete(claim, response)
    except BaseException:
        # Nothing (or nothing known) was answered: the same key may try again.
        await gateway.idempotency.release(claim)
        raise
    return response


async def _idempotency_claim(
    request: Request, gateway: Gateway, caller: Caller, match: RouteMatch
) -> tuple[Claim, bytes] | Replay | None:
    """For a POST with an `Idempotency-Key`: the claim on the key (with the body it was read for), or the
    kept answer to replay. None when the call goes through as any other: no key, a call that signs in,
    or a caller with no company or principal to keep answers for (signing up or in)."""
    if request.method != "POST":
        return None
    key = requested_key(request)
    principal = caller.principal
    if key is None or match.route.session != "none" or caller.company_id is None or principal.id is None:
        return None
    # Refused before anything is looked up: a kept answer is only for a caller still allowed to ask.
    gateway.authorize(match, caller, request.method)
    body = await request.body()
    store = gateway.idempotency
    record_key = store.record_key(str(caller.company_id), principal, key)
    begun = await store.begin(record_key, fingerprint(request.method, request.scope["path"], request.url.query, body))
    return begun if isinstance(begun, Replay) else (begun, body)


async def _gateway_owned(gateway: Gateway, caller: Caller) -> Response:
    # The gateway-owned API endpoints are the two sign-outs: /api/v1/auth/logout and /store/{slug}/api/logout.
    await gateway.end_session(caller)
    response = Response(status_code=204)
    gateway.clear_session_cookie(response, caller)
    return response


async def _to_response(
    request: Request, gateway: Gateway, caller: Caller, outcome: Outcome, match: RouteMatch
) -> Response:
    upstream = outcome.response
    headers = response_headers(upstream.headers)
    if upstream.is_redirect:
        headers = _public_redirect(headers, gateway.upstreams.base_urls[match.route.service], match.slug)
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
        # Also sets the CSRF cookie bound to the new session: a JSON client needs it for its next change.
        gateway.set_session_cookie(response, outcome.new_session, caller)
    return response


# Answers up to this size (by Content-Length) are read whole; larger or unsized ones (CSV exports) stream.
BUFFERED_RESPONSE_BYTES = 256 * 1024


def _small(upstream: httpx.Response) -> bool:
    length = upstream.headers.get("content-length")
    return length is not None and length.isdigit() and int(length) <= BUFFERED_RESPONSE_BYTES


def _declared_length(upstream: httpx.Response) -> int:
    length = upstream.headers.get("content-length")
    return int(length) if length is not None and length.isdigit() else 0


async def _relay(upstream: httpx.Response) -> AsyncIterator[bytes]:
    # Closed in `finally`, so a client that goes away mid-body does not leak the upstream connection.
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    finally:
        await upstream.aclose()


def _public_redirect(headers: list[tuple[str, str]], service_url: str, slug: str | None) -> list[tuple[str, str]]:
    """A service's redirect to its own URL (a trailing slash dropped) as the public path it stands for.

    A client must never be sent to a service's address, nor to a path of the service no route publishes.
    """
    kept: list[tuple[str, str]] = []
    for name, value in headers:
        if name.lower() == "location":
            location = _public_location(value, service_url, slug)
            if location is None:
                continue
            value = location
        kept.append((name, value))
    return kept


def _public_location(location: str, service_url: str, slug: str | None) -> str | None:
    target, service = urlsplit(location), urlsplit(service_url)
    if target.netloc and target.netloc != service.netloc:
        return location  # somewhere else entirely: not the service's to hide
    if slug is not None and target.path.startswith(STOREFRONT_UPSTREAM_PREFIX + "/"):
        public = STORE_PREFIX.replace("{slug}", quote(slug, safe="")) + target.path[len(STOREFRONT_UPSTREAM_PREFIX) :]
    elif slug is None and target.path.startswith("/api/"):
        public = target.path
    else:
        return None
    return public + (f"?{target.query}" if target.query else "")


def _merge(headers: list[tuple[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in headers:
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged
