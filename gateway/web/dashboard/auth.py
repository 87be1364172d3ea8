"""The way in and out of the dashboard: the site's entry, signup, login and logout."""

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, PageClient, gateway_of
from gateway.web.forms import (
    banner,
    page_status,
    redirect,
    redirect_with,
    safe_next,
    signing_in,
    submit,
    verified_form,
    with_retry_after,
)
from gateway.web.rendering import flash_messages, render

router = APIRouter(include_in_schema=False)

flash_messages({"welcome": ("success", "Welcome to Distribu! Your company is set up and your free trial has started.")})

SIGNUP_FIELDS = {"companyName": "company_name", "name": "name", "email": "email", "password": "password"}
LOGIN_FIELDS = {"email": "email", "password": "password"}


async def _client(request: Request) -> PageClient:
    gateway = gateway_of(request)
    return PageClient(gateway, await gateway.identify(request))


@router.get("/")
async def home(request: Request) -> Response:
    caller = await gateway_of(request).identify(request)
    return redirect("/dashboard" if caller.is_staff else "/login")


@router.get("/signup")
async def signup_page(request: Request) -> Response:
    caller = await gateway_of(request).identify(request)
    if caller.is_staff:
        return redirect("/dashboard")
    return render(request, "signup.html", {"values": {}, "errors": {}})


@router.post("/signup")
async def signup(request: Request) -> Response:
    form = await verified_form(request)
    client = await _client(request)
    values = {name: form.get(name, "") for name in SIGNUP_FIELDS.values()}
    body = {api_name: values[name] for api_name, name in SIGNUP_FIELDS.items()}

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        context = {"values": {**values, "password": ""}, "errors": errors, "error": banner(result, errors)}
        return render(request, "signup.html", context, status_code=page_status(result.status))

    success = signing_in(client, "/dashboard", "welcome")
    return await submit(client, "POST", "/api/v1/signup", body, fields=SIGNUP_FIELDS, success=success, refused=refused)


@router.get("/login")
async def login_page(request: Request) -> Response:
    caller = await gateway_of(request).identify(request)
    next_path = safe_next(request.query_params.get("next"))
    if caller.is_staff:
        return redirect(next_path)
    return render(request, "login.html", {"values": {}, "errors": {}, "next": next_path})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await verified_form(request)
    client = await _client(request)
    next_path = safe_next(form.get("next"))
    email = form.get("email", "")
    body = {"email": email, "password": form.get("password", "")}

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        context = {"values": {"email": email}, "errors": errors, "error": banner(result, errors), "next": next_path}
        response = render(request, "login.html", context, status_code=page_status(result.status))
        return with_retry_after(response, result)

    success = signing_in(client, next_path, "signed-in")
    return await submit(
        client, "POST", "/api/v1/auth/login", body, fields=LOGIN_FIELDS, success=success, refused=refused
    )


@router.post("/logout")
async def logout(request: Request) -> Response:
    gateway = gateway_of(request)
    await verified_form(request)
    caller = await gateway.identify(request)
    await gateway.end_session(caller)
    response = redirect_with("/login", "signed-out")
    gateway.clear_session_cookie(response, caller)
    return response
