"""What every request the gateway serves goes through first: request id, client address, access log,
path checks, HEAD, body caps."""

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.paths import InvalidPath, checked_decoded_path, checked_path
from gateway.routes import CSV_IMPORT_BODY_BYTES, DOCUMENT_UPLOAD_BODY_BYTES, RouteTable
from gateway.settings import GatewaySettings, IPNetwork
from kit.errors import ContentTooLarge, ProblemError, problem_response
from kit.logging import company_id_var, request_id_var

logger = logging.getLogger("gateway.access")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def request_id_from(header: str | None) -> str:
    """The caller's request id if it is sane, else a fresh one."""
    if header and _SANE_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def client_ip_from(peer: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]) -> str | None:
    """The socket peer, unless it is a trusted proxy: then the nearest untrusted X-Forwarded-For hop."""
    if peer is None or not trusted or not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _is_ip(hop) else peer
    return hops[0] if hops and _is_ip(hops[0]) else peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


class RequestIdMiddleware:
    """Stamps `scope.state.request_id` / `client_ip`, echoes X-Request-Id and logs each request."""

    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[IPNetwork] = ()) -> None:
        self.app = app
        self.trusted = list(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        request_id = request_id_from(headers.get("x-request-id"))
        peer = scope["client"][0] if scope.get("client") else None
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_ip"] = client_ip_from(peer, headers.get("x-forwarded-for"), self.trusted)
        request_id_var.set(request_id)
        company_id_var.set(None)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope["path"]
            if path not in ("/healthz", "/readyz") and not path.startswith(("/static/", "/api/docs/assets/")):
                logger.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": path,
                        "status": status,
                        "client_ip": state["client_ip"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )


async def _refuse(error: ProblemError, scope: Scope, send: Send, instance: str | None = None) -> None:
    """Answer with `error` as problem+json, from below the app's exception handlers."""

    async def nothing_more() -> Message:
        return {"type": "http.disconnect"}

    await problem_response(error.to_problem(instance), error.headers)(scope, nothing_more, send)


class PathGuard:
    """400 for a path some HTTP stack would read differently (`gateway.paths`), before any routing.

    Checked on the raw bytes the client sent, then `scope["path"]` is set to the checked, decoded
    path: the pages, the route table and the target forwarded to a service all start from it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path")
        try:
            path = checked_path(raw_path.split(b"?", 1)[0]) if raw_path else checked_decoded_path(scope["path"])
        except InvalidPath as error:
            # No `instance`: the path is the client's malformed input, not ours to echo back.
            await _refuse(error, scope, send)
            return
        scope["path"] = path
        await self.app(scope, receive, send)


class HeadAsGet:
    """HEAD is served as GET, minus the body (RFC 9110 §9.3.2), on every GET route, API and pages alike.

    The headers, Content-Length included, are GET's; services only see GET. A 405's `Allow` that
    names GET names HEAD too (the pages' router leaves it out).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "HEAD":
            await self.app(scope, receive, _allowing_head(send))
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)


def _allowing_head(send: Send) -> Send:
    async def send_allowing_head(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            headers = MutableHeaders(scope=message)
            allowed = {method.strip() for method in headers.get("allow", "").split(",") if method.strip()}
            if "GET" in allowed and "HEAD" not in allowed:
                headers["Allow"] = ", ".join(sorted(allowed | {"HEAD"}))
        await send(message)

    return send_allowing_head


# Page forms that carry a file: the API's limit for the same upload, with room for the form's other fields.
PAGE_BODY_BYTES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"/dashboard/products/import"), CSV_IMPORT_BODY_BYTES + 64 * 1024),
    (re.compile(r"/dashboard/customers/[^/]+/documents"), DOCUMENT_UPLOAD_BODY_BYTES + 64 * 1024),
)


def body_limit(settings: GatewaySettings, routes: RouteTable, method: str, path: str) -> int:
    """The largest body this call may send: its route's, a page's own, else GATEWAY_MAX_BODY_BYTES."""
    found = routes.find(method, path)
    if found is not None and found.route.max_body_bytes is not None:
        return found.route.max_body_bytes
    for page, limit in PAGE_BODY_BYTES:
        if page.fullmatch(path):
            return limit
    return settings.max_body_bytes


class BodyLimit:
    """413 for a body larger than its route's cap, before it takes the gateway's memory.

    A Content-Length over the cap is refused before a byte is read. A chunked body is counted as the
    app reads it (`receive`), and cut as it passes the cap; whatever the app answers then (a relay
    to a service broken off mid-body, a page's form error), the client gets the 413. The server
    discards the rest of the body and keeps the connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        # The app's state, set by create_app: the settings and the route table that name each cap.
        gateway = scope["app"].state.gateway
        limit = body_limit(gateway.settings, gateway.routes, scope["method"], scope["path"])
        too_large = ContentTooLarge(f"The request body is larger than this endpoint accepts ({limit} bytes).")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _refuse(too_large, scope, send, scope["path"])
            return
        received = 0
        exceeded = False
        answered = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise too_large
            return message

        async def send_unless_cut(message: Message) -> None:
            nonlocal answered
            if exceeded:
                # Once the cap is passed the answer is the 413, whatever the app makes of the cut.
                if not answered:
                    answered = True
                    await _refuse(too_large, scope, send, scope["path"])
                return
            answered = True
            await send(message)

        try:
            await self.app(scope, counted_receive, send_unless_cut)
        except Exception:
            if not exceeded:
                raise
            if not answered:
                answered = True
                await _refuse(too_large, scope, send, scope["path"])
