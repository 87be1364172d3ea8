"""Security headers on every gateway response: CSP without inline script, no framing, no sniffing, no caching."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages and the API docs load scripts and styles from the gateway only: their behaviour is bound from
# /static files by data attributes, so an injected `<script>` or `onclick=` does not run. Product
# images are hot-linked from wherever the distributor hosts them; Swagger UI's CSS uses data: icons.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https: http:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Invite and setup links carry one-shot tokens in their path: never send a path to another site.
    "Referrer-Policy": "same-origin",
}

# Files that are the same for everyone and carry no secret keep their validators (ETag, Last-Modified).
CACHEABLE_PREFIXES = ("/static/", "/api/docs/assets/")

# Once HTTPS is the deployment's only way in (GATEWAY_COOKIE_SECURE), browsers should not try plain HTTP.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


class SecurityHeadersMiddleware:
    """Adds the headers above, and `Cache-Control: no-store` to everything that is not a static file.

    No-store everywhere else rather than per page: answers that carry a secret (a new API key, an invite
    link, a session's pages and JSON) must never sit in a browser or proxy cache, and a rule with
    exceptions is one a new endpoint forgets.
    """

    def __init__(self, app: ASGIApp, *, https_only: bool = False) -> None:
        self.app = app
        headers = dict(HEADERS)
        if https_only:
            headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
        # Encoded once: this runs on every API call, the gateway's hot path.
        self.static_headers = _encoded(headers)
        self.headers = _encoded({**headers, "Cache-Control": "no-store"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ours = self.static_headers if str(scope["path"]).startswith(CACHEABLE_PREFIXES) else self.headers
        names = {name for name, _ in ours}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Ours replace any the page or the service set (an upstream's caching rule included).
                kept = [(name, value) for name, value in message.get("headers", []) if name.lower() not in names]
                message["headers"] = kept + ours
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
