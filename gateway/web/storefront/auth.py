"""A storefront's sign-in, password setup (for accounts the distributor created) and sign-out."""

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult
from gateway.web.forms import (
    go,
    page_status,
    redirect,
    redirect_with,
    signing_in,
    submit,
    verified_form,
    with_retry_after,
)
from gateway.web.rendering import flash_messages, render
from gateway.web.storefront.frame import store_api, store_banner, store_client, store_frame, store_next, store_of

router = APIRouter(include_in_schema=False)

flash_messages({"store-password-set": ("success", "Your password is set. Sign in to continue.")})

LOGIN_FIELDS = {"email": "email", "password": "password"}
SETUP_FIELDS = {"email": "email", "password": "password", "confirmPassword": "confirm_password"}


@router.get("/store/{slug}/login")
async def login_page(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    next_path = store_next(store_of(client), request.query_params.get("next"))
    frame = await store_frame(client)
    if frame["me"] is not None:
        return redirect(next_path)
    return render(request, "store_login.html", {**frame, "values": {}, "errors": {}, "next": next_path})


@router.post("/store/{slug}/login")
async def login(request: Request, slug: str) -> Response:
    form = await verified_form(request)
    client = await store_client(request, slug)
    next_path = store_next(store_of(client), form.get("next"))
    email = form.get("email", "")
    body = {"email": email, "password": form.get("password", "")}

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        context = {
            **await store_frame(client),
            "values": {"email": email},
            "errors": errors,
            "error": store_banner(result, errors),
            "next": next_path,
        }
        response = render(request, "store_login.html", context, status_code=page_status(result.status))
        return with_retry_after(response, result)

    return await submit(
        client,
        "POST",
        store_api(client, "/login"),
        body,
        fields=LOGIN_FIELDS,
        success=signing_in(client, next_path, "signed-in"),
        refused=refused,
    )


@router.get("/store/{slug}/setup-password")
async def setup_password_page(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    frame = await store_frame(client)
    return render(request, "store_setup_password.html", {**frame, "values": {}, "errors": {}})


@router.post("/store/{slug}/setup-password")
async def setup_password(request: Request, slug: str) -> Response:
    form = await verified_form(request)
    client = await store_client(request, slug)
    email = form.get("email", "")
    body = {
        "email": email,
        "password": form.get("password", ""),
        "confirmPassword": form.get("confirm_password", ""),
    }

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        context = {
            **await store_frame(client),
            "values": {"email": email},
            "errors": errors,
            "error": store_banner(result, errors),
        }
        response = render(request, "store_setup_password.html", context, status_code=page_status(result.status))
        return with_retry_after(response, result)

    return await submit(
        client,
        "POST",
        store_api(client, "/setup-password"),
        body,
        fields=SETUP_FIELDS,
        success=go(f"/store/{store_of(client).slug}/login", "store-password-set"),
        refused=refused,
    )


@router.post("/store/{slug}/logout")
async def logout(request: Request, slug: str) -> Response:
    await verified_form(request)
    client = await store_client(request, slug)
    await client.gateway.end_session(client.caller)
    response = redirect_with(f"/store/{store_of(client).slug}", "signed-out")
    client.gateway.clear_session_cookie(response, client.caller)
    return response
