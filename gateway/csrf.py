"""CSRF protection for cookie-authenticated changes: a double-submit token.

The token lives in a cookie the page's own scripts can read (`distribu_csrf`); a change made with
a session cookie must send it back, in the form's `csrf_token` field (pages) or the `X-CSRF-Token`
header (JSON). Another site can make the browser send our cookies, but cannot read this one.
Calls with an API key carry no cookie and need no token.
"""

import secrets

from fastapi import Request, Response

from kit.errors import Forbidden

CSRF_COOKIE = "distribu_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

FORM_REFUSED = "This form has expired or did not come from Distribu. Reload the page and try again."
HEADER_REFUSED = (
    f"Changes made with a session cookie must send the {CSRF_HEADER} header, "
    f"set to the value of the {CSRF_COOKIE} cookie."
)


def token_for(request: Request) -> str:
    """The browser's token if it has a sane one, else a new one (set on the response by `set_cookie`)."""
    token = request.cookies.get(CSRF_COOKIE)
    if token and 20 <= len(token) <= 64:
        return token
    token = getattr(request.state, "new_csrf_token", None) or secrets.token_urlsafe(32)
    request.state.new_csrf_token = token
    return token


def set_cookie(request: Request, response: Response, *, secure: bool) -> None:
    """Give the browser the token `token_for` made for it, if it made one."""
    new_token = getattr(request.state, "new_csrf_token", None)
    if new_token:
        # Readable by scripts on purpose: that is how a JSON client learns what to send back.
        response.set_cookie(CSRF_COOKIE, new_token, path="/", httponly=False, samesite="lax", secure=secure)


def matches(request: Request, sent: object) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return isinstance(sent, str) and bool(cookie) and secrets.compare_digest(sent.encode(), str(cookie).encode())


def require_header(request: Request) -> None:
    if not matches(request, request.headers.get(CSRF_HEADER)):
        raise Forbidden(HEADER_REFUSED)


def require_form_field(request: Request, form: dict[str, str]) -> None:
    if not matches(request, form.get(CSRF_FIELD)):
        raise Forbidden(FORM_REFUSED)
