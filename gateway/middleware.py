"""Request ids, the client's address and the access log, for every request the gateway serves."""

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.settings import IPNetwork
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
