"""The one shape of a form handler: post, call the API, then redirect with a message or show the page again
with the refusal (a banner, the user's input and its field errors)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from gateway import csrf
from gateway.web.client import ApiResult, PageClient
from gateway.web.rendering import flash

# What a successful post answers (usually a redirect with a flash message), and how a refused one is shown again.
Success = Callable[[ApiResult], Awaitable[Response]]
Refused = Callable[[ApiResult, dict[str, str]], Awaitable[Response]]
# A form that creates something carries a key of its own (rendered fresh with the form, `new_form_key()` in
# templates): the same form posted twice creates once.
FORM_KEY = "form_key"


@dataclass
class FormState:
    """One form of a page as it is shown again: the user's input, its errors, and whether it is unfolded."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    open: bool = False


async def verified_form(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token is its session's (the cookie's before sign-in); 403 otherwise."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    csrf.require_form_field(request, fields)
    return fields


async def submit(
    client: PageClient,
    method: str,
    path: str,
    body: Any = None,
    *,
    success: Success,
    refused: Refused,
    fields: dict[str, str] | None = None,
    form_key: str | None = None,
) -> Response:
    """Calls the API with the form's body; `fields` maps the API's field names to the form's for its errors.

    `form_key`: the form's FORM_KEY field, for a form that creates something (an order): posted twice (a double
    click), it creates once, and the second post gets the first one's answer."""
    result = await client.call(method, path, json_body=body, idempotency_key=form_key or None)
    if result.ok:
        return await success(result)
    return await refused(result, result.field_errors(fields or {}))


def go(to: str | Callable[[ApiResult], str], message: str) -> Success:
    """Success as a redirect (to a page, or one made from the answer, e.g. the new item's) with a flash message."""

    async def answer(result: ApiResult) -> Response:
        return redirect_with(to if isinstance(to, str) else to(result), message)

    return answer


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def redirect_with(url: str, message: str) -> RedirectResponse:
    """A redirect with a flash message; to a page's `#section`, the message is shown in that section, where
    the action happened (the page's `_section_flash.html` for it), not at the top of the page."""
    response = redirect(url)
    _, _, section = url.partition("#")
    flash(response, message, section or None)
    return response


def banner(result: ApiResult, field_errors: dict[str, str]) -> str:
    # Malformed input is explained on each field; the banner only points there.
    if result.status == 422 and field_errors:
        return "Please correct the fields marked below."
    return result.detail


async def show_again(
    page: Callable[..., Awaitable[Response]], result: ApiResult, errors: dict[str, str], forms: dict[str, FormState]
) -> Response:
    """A page again after a refused change: `page` given the refusal's banner and status and the `forms` as posted."""
    return await page(error=banner(result, errors), status_code=page_status(result.status), **forms)


def page_status(api_status: int) -> int:
    # A refused form is re-shown with the API's status, so tests and proxies see what happened.
    return api_status if 400 <= api_status < 600 else 400


def with_retry_after(response: Response, result: ApiResult) -> Response:
    if "Retry-After" in result.headers:
        response.headers["Retry-After"] = result.headers["Retry-After"]
    return response


def safe_next(value: str | None) -> str:
    """Only same-site paths: `next` must never send a signed-in user to another host."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and "\n" not in value:
        return value
    return "/dashboard"


def signing_in(client: PageClient, to: str, message: str) -> Success:
    """Success of a sign-in form (signup, login, an accepted invite): the new session's cookie, then `to`."""

    async def answer(result: ApiResult) -> Response:
        response = redirect_with(to, message)
        if result.new_session is not None:
            client.gateway.set_session_cookie(response, result.new_session, client.caller)
        return response

    return answer
