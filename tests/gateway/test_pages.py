"""The web pages: CSRF-protected forms over the same API, redirects, errors shown where they belong."""

import importlib
import re

import httpx

from gateway.csrf import CSRF_COOKIE
from gateway.sessions import STAFF_COOKIE
from gateway.web.rendering import WEB_DIRECTORY, registered_flash_codes
from tests.gateway.conftest import GatewayHarness, unique_email


async def _csrf(client: httpx.AsyncClient, page: str) -> str:
    response = await client.get(page)
    found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert found, response.text
    assert client.cookies[CSRF_COOKIE] == found.group(1)
    return found.group(1)


async def _sign_up_in_browser(gateway: GatewayHarness, company: str = "Acme Distributors") -> httpx.Response:
    token = await _csrf(gateway.client, "/signup")
    return await gateway.client.post(
        "/signup",
        data={
            "csrf_token": token,
            "company_name": company,
            "name": "Ada",
            "email": unique_email(),
            "password": "s3cret-pass",
        },
    )


async def test_signup_form_signs_in_and_lands_on_the_dashboard(gateway: GatewayHarness) -> None:
    response = await _sign_up_in_browser(gateway)

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert STAFF_COOKIE in response.cookies
    dashboard = await gateway.client.get("/dashboard")
    assert dashboard.status_code == 200
    slug = next(iter(gateway.services["identity"].companies.values()))["slug"]
    assert 'data-testid="company-name">Acme Distributors</h1>' in dashboard.text
    assert f'href="http://127.0.0.1:8000/store/{slug}"' in dashboard.text
    assert "<strong>14</strong> days left in your trial" in dashboard.text
    assert "Welcome to Distribu!" in dashboard.text
    # The flash is shown once.
    assert "Welcome to Distribu!" not in (await gateway.client.get("/dashboard")).text


async def test_form_post_without_matching_csrf_token_is_refused(gateway: GatewayHarness) -> None:
    await _csrf(gateway.client, "/signup")
    fields = {"company_name": "Acme", "name": "Ada", "email": unique_email(), "password": "s3cret-pass"}

    missing = await gateway.client.post("/signup", data=fields)
    wrong = await gateway.client.post("/signup", data={**fields, "csrf_token": "x" * 43})
    gateway.client.cookies.delete(CSRF_COOKIE)
    no_cookie = await gateway.client.post("/signup", data={**fields, "csrf_token": "x" * 43})

    assert [missing.status_code, wrong.status_code, no_cookie.status_code] == [403, 403, 403]
    assert "did not come from Distribu" in wrong.text
    assert gateway.services["identity"].received == []


async def test_signup_errors_from_the_service_are_shown_on_the_fields(gateway: GatewayHarness) -> None:
    token = await _csrf(gateway.client, "/signup")

    response = await gateway.client.post(
        "/signup",
        data={"csrf_token": token, "company_name": "", "name": "Ada", "email": "a@example.com", "password": "pw"},
    )

    assert response.status_code == 422
    assert 'data-testid="error-company_name">Field required</p>' in response.text
    assert "Please correct the fields marked below." in response.text
    assert 'value="a@example.com"' in response.text
    assert 'value="pw"' not in response.text


async def test_dashboard_pages_send_signed_out_visitors_to_login(gateway: GatewayHarness) -> None:
    for page in ("/dashboard", "/dashboard/settings", "/dashboard/audit-log?cursor=abc"):
        response = await gateway.client.get(page)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2Fdashboard")
    assert (await gateway.client.get("/")).headers["location"] == "/login"


async def test_login_form_returns_to_next_and_refuses_foreign_next(gateway: GatewayHarness) -> None:
    token = await _csrf(gateway.client, "/login?next=/dashboard/settings")
    email = unique_email()

    bad = await gateway.client.post("/login", data={"csrf_token": token, "email": email, "password": "wrong-password"})
    good = await gateway.client.post(
        "/login", data={"csrf_token": token, "email": email, "password": "right", "next": "/dashboard/settings"}
    )
    gateway.client.cookies.delete(STAFF_COOKIE)
    # Signed out, the form's token is a pre-session one again (the old one was bound to the session).
    token = await _csrf(gateway.client, "/login")
    foreign = await gateway.client.post(
        "/login", data={"csrf_token": token, "email": email, "password": "right", "next": "//evil.example"}
    )

    assert bad.status_code == 401
    assert "Email or password is incorrect." in bad.text
    assert good.headers["location"] == "/dashboard/settings"
    assert foreign.headers["location"] == "/dashboard"


async def test_settings_form_shows_field_errors_and_saves(gateway: GatewayHarness) -> None:
    await _sign_up_in_browser(gateway)
    token = await _csrf(gateway.client, "/dashboard/settings")

    taken = await gateway.client.post("/dashboard/settings", data={"csrf_token": token, "name": "New", "slug": "taken"})
    saved = await gateway.client.post("/dashboard/settings", data={"csrf_token": token, "name": "New", "slug": "new"})

    assert taken.status_code == 409
    assert 'data-testid="error-slug">Already in use</p>' in taken.text
    assert "That storefront address is taken." in taken.text
    assert saved.status_code == 303
    page = await gateway.client.get("/dashboard/settings")
    assert "Settings saved." in page.text
    assert 'value="new"' in page.text


async def test_owner_deletes_the_company_after_typing_its_slug_and_is_signed_out(gateway: GatewayHarness) -> None:
    await _sign_up_in_browser(gateway)
    slug = next(iter(gateway.services["identity"].companies.values()))["slug"]
    settings = await gateway.client.get("/dashboard/settings")
    token = await _csrf(gateway.client, "/dashboard/settings")
    session = gateway.client.cookies[STAFF_COOKIE]

    wrong = await gateway.client.post(
        "/dashboard/settings/delete-company", data={"csrf_token": token, "confirm_slug": "not-" + slug}
    )
    deleted = await gateway.client.post(
        "/dashboard/settings/delete-company", data={"csrf_token": token, "confirm_slug": slug}
    )

    assert 'data-testid="danger-zone"' in settings.text
    assert wrong.status_code == 422
    assert 'data-testid="error-confirm_slug">Does not match the storefront address</p>' in wrong.text
    assert f'value="not-{slug}"' in wrong.text
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/login"
    assert STAFF_COOKIE not in gateway.client.cookies
    assert await gateway.redis.exists(f"{gateway.namespace}:session:{session}") == 0
    login = await gateway.client.get("/login")
    assert "Your company has been deleted" in login.text
    # The old cookie, presented again, opens nothing.
    gateway.client.cookies.set(STAFF_COOKIE, session)
    assert (await gateway.client.get("/dashboard")).status_code == 303


async def test_admin_sees_no_danger_zone_and_cannot_delete_the_company(gateway: GatewayHarness) -> None:
    await gateway.sign_up(role="ADMIN")
    slug = next(iter(gateway.services["identity"].companies.values()))["slug"]

    settings = await gateway.client.get("/dashboard/settings")
    token = gateway.client.cookies[CSRF_COOKIE]
    refused = await gateway.client.post(
        "/dashboard/settings/delete-company", data={"csrf_token": token, "confirm_slug": slug}
    )

    assert settings.status_code == 200
    assert "Danger zone" not in settings.text
    assert refused.status_code == 403
    assert "This requires the OWNER role." in refused.text
    # The page's own reads of the company; the refused DELETE never reached identity.
    assert [call.method for call in gateway.services["identity"].calls_to("/api/v1/company")] == ["GET", "GET"]


async def test_member_does_not_see_or_reach_settings(gateway: GatewayHarness) -> None:
    await gateway.sign_up(role="MEMBER")

    dashboard = await gateway.client.get("/dashboard")
    token = gateway.client.cookies[CSRF_COOKIE]
    refused = await gateway.client.post("/dashboard/settings", data={"csrf_token": token, "name": "X", "slug": "x"})

    assert 'data-testid="nav-settings"' not in dashboard.text
    assert 'data-testid="nav-audit-log"' not in dashboard.text
    assert refused.status_code == 403
    assert "This requires the OWNER or ADMIN role." in refused.text


async def test_audit_log_page_lists_entries_and_links_the_next_page(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    gateway.services["audit"].audit_entries = [
        {
            "id": "1",
            "action": "CompanyCreated",
            "entityType": "Company",
            "entityId": "0190c0de-0000-7000-8000-000000000001",
            "actorType": "USER",
            "actorId": "0190c0de-0000-7000-8000-000000000002",
            "ipAddress": "203.0.113.7",
            "createdAt": "2025-01-02T03:04:05.678Z",
        },
        {
            "id": "2",
            "action": "UserCreated",
            "entityType": "User",
            "entityId": "0190c0de-0000-7000-8000-000000000002",
            "actorType": "SYSTEM",
            "actorId": None,
            "ipAddress": None,
            "createdAt": "2025-01-02T03:04:05.000Z",
        },
    ]

    first = await gateway.client.get("/dashboard/audit-log")
    second = await gateway.client.get("/dashboard/audit-log?cursor=page2")

    assert 'data-testid="audit-action">CompanyCreated</code>' in first.text
    assert "2025-01-02 03:04:05" in first.text
    assert "203.0.113.7" in first.text
    # Time-ordered ids share their first characters; the page shows the distinguishing tail.
    assert "…00000001" in first.text
    assert "…00000002" in first.text
    assert 'href="/dashboard/audit-log?cursor=page2"' in first.text
    assert "UserCreated" in second.text
    assert "audit-next" not in second.text
    assert gateway.services["audit"].received[-1].query == "limit=25&cursor=page2"


async def test_logout_form_ends_the_session(gateway: GatewayHarness) -> None:
    await _sign_up_in_browser(gateway)
    token = gateway.client.cookies[CSRF_COOKIE]

    response = await gateway.client.post("/logout", data={"csrf_token": token})

    assert response.headers["location"] == "/login"
    assert (await gateway.client.get("/dashboard")).status_code == 303
    assert "You have signed out." in (await gateway.client.get("/login")).text


async def test_the_sidebar_lists_each_areas_registered_entry_in_order(gateway: GatewayHarness) -> None:
    await _sign_up_in_browser(gateway)

    dashboard = await gateway.client.get("/dashboard")

    entries = re.findall(r'<a class="nav-item[^"]*" href="([^"]+)" data-testid="nav-[^"]+">([^<]+)</a>', dashboard.text)
    assert entries == [
        ("/dashboard", "Overview"),
        ("/dashboard/orders", "Orders"),
        ("/dashboard/customers", "Customers"),
        ("/dashboard/products", "Products"),
        ("/dashboard/team", "Team"),
        ("/dashboard/api-keys", "API keys"),
        ("/dashboard/webhooks", "Webhooks"),
        ("/dashboard/audit-log", "Audit log"),
        ("/dashboard/billing", "Billing"),
        ("/dashboard/settings", "Settings"),
    ]


def test_every_flash_message_a_page_sends_is_registered() -> None:
    # A code with no registered message would only fail when its form succeeds; this finds it first. Codes are
    # the kebab-case literals outside the areas' registrations (header names and values aside).
    for package in ("gateway.web.dashboard", "gateway.web.storefront"):
        importlib.import_module(package)  # its areas register their messages
    sent: set[str] = set()
    for module in WEB_DIRECTORY.rglob("*.py"):
        source = re.sub(r"flash_messages\(\s*\{.*?\}\s*\)", "", module.read_text(), flags=re.DOTALL)
        sent |= set(re.findall(r'"([a-z]+(?:-[a-z]+)+)"', source))
    codes = sent - {"no-store", "no-referrer", "retry-after", "content-type"}
    assert len(codes) > 30
    assert codes - registered_flash_codes() == set()


async def test_member_sees_the_settings_read_only(gateway: GatewayHarness) -> None:
    await gateway.sign_up(role="MEMBER")

    settings = await gateway.client.get("/dashboard/settings")

    assert settings.status_code == 200
    assert 'data-testid="settings-readonly"' in settings.text
    assert 'data-testid="settings-view"' in settings.text
    assert "<form" not in settings.text.split('data-testid="settings-readonly"')[1]


async def test_an_unknown_dashboard_path_is_an_html_page_in_the_dashboard_frame(gateway: GatewayHarness) -> None:
    await gateway.sign_up()

    missing = await gateway.client.get("/dashboard/no-such-page")

    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert 'data-testid="error-page"' in missing.text
    assert 'data-testid="nav-customers"' in missing.text  # the dashboard's sidebar around it
    assert "Page not found" in missing.text


async def test_signed_out_unknown_paths_and_api_errors_keep_their_own_shape(gateway: GatewayHarness) -> None:
    page = await gateway.client.get("/no/such/page")
    api = await gateway.client.get("/api/v1/no-such-thing")

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-testid="error-page"' in page.text
    assert api.headers["content-type"] == "application/problem+json"


async def test_opening_a_form_address_directly_goes_to_its_page_not_a_405(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    customer = "0f4c1a52-0000-4000-8000-000000000001"

    answers = {
        path: await gateway.client.get(path)
        for path in (
            "/dashboard/settings/storefront",
            f"/dashboard/customers/{customer}/contacts",
            f"/dashboard/customers/{customer}/contacts/{customer}/role",
            "/dashboard/team/members/x/role",
            "/logout",
        )
    }

    assert {path: (answer.status_code, answer.headers.get("location")) for path, answer in answers.items()} == {
        "/dashboard/settings/storefront": (303, "/dashboard/settings"),
        f"/dashboard/customers/{customer}/contacts": (303, f"/dashboard/customers/{customer}"),
        f"/dashboard/customers/{customer}/contacts/{customer}/role": (303, f"/dashboard/customers/{customer}"),
        "/dashboard/team/members/x/role": (303, "/dashboard/team"),
        "/logout": (303, "/"),
    }
    # Another method than a browser's GET still meets the 405, as a page.
    put = await gateway.client.put("/dashboard/settings")
    assert put.status_code == 405
    assert 'data-testid="error-page"' in put.text
    assert "GET" in put.headers["allow"]


def test_a_redirect_to_a_section_carries_its_message_there() -> None:
    from gateway.web.forms import redirect_with
    from gateway.web.rendering import FLASH_COOKIE

    importlib.import_module("gateway.web.dashboard")
    to_section = redirect_with("/dashboard/team#members", "member-role-changed")
    to_top = redirect_with("/dashboard/team", "member-role-changed")

    assert f"{FLASH_COOKIE}=member-role-changed:members;" in to_section.headers["set-cookie"]
    assert f"{FLASH_COOKIE}=member-role-changed;" in to_top.headers["set-cookie"]


async def test_an_unexpected_failure_of_a_page_is_an_html_500_and_of_the_api_problem_json(
    gateway: GatewayHarness,
) -> None:
    async def boom() -> None:
        raise RuntimeError("a bug")

    gateway.app.add_api_route("/dashboard/boom", boom)
    gateway.app.add_api_route("/tools/api/boom", boom)  # /api/... itself is the route table's
    transport = httpx.ASGITransport(app=gateway.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        page = await client.get("/dashboard/boom")
        api = await client.get("/tools/api/boom")

    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-testid="error-page"' in page.text
    assert "Something went wrong" in page.text
    assert "a bug" not in page.text
    assert (api.status_code, api.headers["content-type"]) == (500, "application/problem+json")


def test_pydantic_refusals_read_as_plain_sentences() -> None:
    from typing import Literal

    from pydantic import BaseModel, EmailStr, Field, ValidationError

    from kit.errors import plain_message

    class Form(BaseModel):
        email: EmailStr
        name: str = Field(min_length=1, max_length=5)
        code: str = Field(max_length=3)
        amount: float
        count: int
        role: Literal["ADMIN", "MEMBER"]
        needed: str

    try:
        Form.model_validate(
            {"email": "Not-An-Email", "name": "", "code": "ABCD", "amount": "x", "count": "y", "role": "Boss"}
        )
    except ValidationError as error:
        messages = {str(item["loc"][0]): plain_message(item) for item in error.errors()}
    assert messages == {
        "email": "Enter an email address like name@example.com.",
        "name": "This field is required.",
        "code": "Use at most 3 characters.",
        "amount": "Enter a number like 12.50.",
        "count": "Enter a whole number, like 12.",
        "role": "Choose one of: 'ADMIN' or 'MEMBER'.",
        "needed": "This field is required.",
    }


def test_a_message_that_starts_with_what_was_typed_is_not_capitalised() -> None:
    from gateway.web.client import sentence

    assert sentence("jane@example.com is already on the team.") == "jane@example.com is already on the team."
    assert sentence("value error, passwords differ") == "Passwords differ"
