"""CSRF protection for cookie-authenticated changes: a token bound to the session, double-submit before one.

With a session, the only valid token is `HMAC(key, session token)`, the key derived from the internal
secret: another site can make the browser send our cookies, and may even plant a `distribu_csrf` cookie
of its choosing (from a sibling subdomain, or over plain HTTP), but cannot compute the token of the
victim's session. Pages put it in their forms' `csrf_token` field; signing in sets it in the
`distribu_csrf` cookie, readable by scripts, which JSON clients send back in `X-CSRF-Token`. Before
there is a session (the sign-in and sign-up forms) the token is a random double-submit one: the form
field must equal the cookie. Calls with an API key carry no cookie and need no token.
"""

import base64
import hashlib
import hmac
import secrets

from fastapi import Request, Response

from gateway.sessions import PLAIN_COOKIES, CookieNames, cookie_names
from kit.errors import Forbidden

# The cookie's name without GATEWAY_COOKIE_SECURE (`__Host-distribu_csrf` with it: see gateway.sessions).
CSRF_COOKIE = PLAIN_COOKIES.csrf
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

FORM_REFUSED = "This form has expired or did not come from Distribu. Reload the page and try again."
HEADER_REFUSED = (
    f"Changes made with a session cookie must send the {CSRF_HEADER} header, "
    f"set to the value of the {CSRF_COOKIE} cookie the session's sign-in set."
)

# The internal secret also signs the services' context: this purpose string gives CSRF a key of its own.
_KEY_PURPOSE = b"distribu-gateway/csrf-token-bound-to-session/v1"


class CsrfTokens:
    """Mints the token bound to a session. Every gateway replica derives the same key, so any accepts any's."""

    def __init__(self, internal_secret: str) -> None:
        self._key = hmac.new(internal_secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()

    def bound_to(self, session_token: str) -> str:
        digest = hmac.new(self._key, session_token.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def require_header(self, request: Request, session_token: str) -> None:
        """A JSON change made with the session `session_token` must send that session's token."""
        if not _same(request.headers.get(CSRF_HEADER), self.bound_to(session_token)):
            raise Forbidden(HEADER_REFUSED)


def write_cookie(
    response: Response, names: CookieNames, token: str, *, secure: bool, max_age: int | None = None
) -> None:
    # Readable by scripts on purpose: that is how a JSON client learns what to send back.
    response.set_cookie(names.csrf, token, max_age=max_age, path="/", httponly=False, samesite="lax", secure=secure)


def page_session_token(request: Request, names: CookieNames) -> str | None:
    """The session cookie a page at this path acts with: the storefront's under /store/{slug}, else staff.

    The cookie as presented, valid or not: a page rendered with it and the form posted back with it
    agree, and a session that is no longer valid is anonymous anyway.
    """
    segments = request.url.path.split("/")
    if len(segments) > 2 and segments[1] == "store" and segments[2]:
        return request.cookies.get(names.storefront) or None
    return request.cookies.get(names.staff) or None


def token_for(request: Request) -> str:
    """The token this page's forms carry: bound to its session if it has one, else the double-submit one."""
    cached: str | None = getattr(request.state, "csrf_token", None)
    if cached is not None:
        return cached
    names = _names(request)
    session_token = page_session_token(request, names)
    if session_token is not None:
        token = _tokens(request).bound_to(session_token)
    else:
        cookie = request.cookies.get(names.csrf)
        token = cookie if cookie and 20 <= len(cookie) <= 64 else secrets.token_urlsafe(32)
    request.state.csrf_token = token
    return token


def set_cookie(request: Request, response: Response, *, secure: bool) -> None:
    """Keep the browser's readable cookie equal to the token `token_for` gave this page."""
    token: str | None = getattr(request.state, "csrf_token", None)
    names = cookie_names(secure)
    if token is None or request.cookies.get(names.csrf) == token:
        return
    # A sign-in answer already carries the new session's token (set with the session cookie): keep that one.
    if any(header.startswith(f"{names.csrf}=") for header in response.headers.getlist("set-cookie")):
        return
    write_cookie(response, names, token, secure=secure)


def require_form_field(request: Request, form: dict[str, str]) -> None:
    names = _names(request)
    session_token = page_session_token(request, names)
    expected: str | None
    if session_token is not None:
        expected = _tokens(request).bound_to(session_token)
    else:
        expected = request.cookies.get(names.csrf)
    if not _same(form.get(CSRF_FIELD), expected):
        raise Forbidden(FORM_REFUSED)


def _same(sent: object, expected: str | None) -> bool:
    if not isinstance(sent, str) or not sent or not expected:
        return False
    return secrets.compare_digest(sent.encode(), expected.encode())


def _names(request: Request) -> CookieNames:
    return cookie_names(bool(request.app.state.settings.cookie_secure))


def _tokens(request: Request) -> CsrfTokens:
    tokens: CsrfTokens = request.app.state.gateway.csrf_tokens
    return tokens
