"""The dashboard's customer, team and API key pages over HTTP: each form's rules, refusals and what they leave."""

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.csrf import CSRF_COOKIE
from tests.support.api import PASSWORD, send_csrf_token, sign_up, unique
from tests.support.systems import RunningSystem

HTML = "text/html"


@pytest.fixture
async def owner(full_system: RunningSystem) -> AsyncIterator[httpx.AsyncClient]:
    """A new company's owner, signed in (pages post with the CSRF cookie's token, as the browser does)."""
    async with httpx.AsyncClient(base_url=full_system.base_url) as client:
        await sign_up(client)
        yield client


def form(client: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    return {"csrf_token": client.cookies[CSRF_COOKIE], **fields}


def texts_of(html: str, testid: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", found).strip()
        for found in re.findall(rf'data-testid="{testid}"[^>]*>(.*?)</', html, flags=re.S)
    ]


async def create_customer(client: httpx.AsyncClient, name: str = "Acme Diner") -> dict[str, Any]:
    response = await client.post("/api/v1/customers", json={"email": f"{unique('buyer')}@example.com", "name": name})
    assert response.status_code == 201, response.text
    customer: dict[str, Any] = response.json()
    return customer


async def customer_count(client: httpx.AsyncClient) -> int:
    response = await client.get("/api/v1/customers", params={"limit": "200"})
    return len(response.json()["items"])


async def join_as(base_url: str, owner: httpx.AsyncClient, role: str) -> httpx.AsyncClient:
    """A second person, invited by `owner` and signed in with the invite (close the client after use)."""
    invite = await owner.post("/api/v1/invites", json={"email": f"{unique('staff')}@example.com", "role": role})
    assert invite.status_code == 201, invite.text
    client = httpx.AsyncClient(base_url=base_url)
    accepted = await client.post(
        "/api/v1/invites/accept", json={"token": invite.json()["token"], "name": "Sam Staff", "password": PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    send_csrf_token(client)
    return client


# -- customers --------------------------------------------------------------------------------


async def test_customer_form_creates_and_opens_the_customer(owner: httpx.AsyncClient):
    email = f"{unique('diner')}@example.com"

    response = await owner.post("/dashboard/customers", data=form(owner, name="Blue Plate Diner", email=email))

    assert response.status_code == 303
    page = await owner.get(response.headers["location"])
    assert page.status_code == 200
    assert texts_of(page.text, "customer-name") == ["Blue Plate Diner"]
    assert "Customer added." in page.text
    [customer] = (await owner.get("/api/v1/customers")).json()["items"]
    assert response.headers["location"] == f"/dashboard/customers/{customer['id']}"


async def test_duplicate_customer_email_is_shown_on_the_field_and_adds_nothing(owner: httpx.AsyncClient):
    existing = await create_customer(owner)

    response = await owner.post(
        "/dashboard/customers", data=form(owner, name="Second Acme", email=existing["email"].upper())
    )

    assert response.status_code == 409
    assert response.headers["content-type"].startswith(HTML)
    assert texts_of(response.text, "error-email") == ["A customer with this email already exists."]
    assert 'value="Second Acme"' in response.text
    assert await customer_count(owner) == 1


async def test_customer_list_searches_and_pages_and_the_plan_limit_is_a_banner(owner: httpx.AsyncClient):
    # Starter allows 50 customers: a full plan also gives two list pages of 25.
    for number in range(49):
        await create_customer(owner, f"Diner {number:02}")
    await create_customer(owner, "Zebra Grill")

    first = await owner.get("/dashboard/customers")
    searched = await owner.get("/dashboard/customers", params={"q": "zEBRA"})
    next_path = re.search(r'href="([^"]+)" data-testid="customers-next"', first.text)
    assert next_path is not None
    second = await owner.get(next_path.group(1).replace("&amp;", "&"))
    refused = await owner.post(
        "/dashboard/customers", data=form(owner, name="One Too Many", email=f"{unique('extra')}@example.com")
    )

    assert len(texts_of(first.text, "customer-link")) == 25
    assert texts_of(first.text, "customer-link")[0] == "Zebra Grill"
    assert texts_of(searched.text, "customer-link") == ["Zebra Grill"]
    assert 'data-testid="customers-next"' not in searched.text
    assert len(texts_of(second.text, "customer-link")) == 25
    assert 'data-testid="customers-next"' not in second.text
    assert refused.status_code == 402
    [banner] = texts_of(refused.text, "error-banner")
    assert "allows 50 customers (maxCustomers)" in banner
    assert await customer_count(owner) == 50


async def test_another_companys_customer_is_the_404_page(full_system: RunningSystem, owner: httpx.AsyncClient):
    async with httpx.AsyncClient(base_url=full_system.base_url) as other:
        await sign_up(other)
        theirs = await create_customer(other)
        contact = {"contact_email": "x@example.com", "contact_name": "", "contact_role": "BUYER"}

        page = await owner.get(f"/dashboard/customers/{theirs['id']}")
        malformed = await owner.get("/dashboard/customers/not-an-id")
        add = await owner.post(f"/dashboard/customers/{theirs['id']}/contacts", data=form(owner, **contact))
        delete = await owner.post(f"/dashboard/customers/{theirs['id']}/delete", data=form(owner))

        assert [page.status_code, malformed.status_code, add.status_code, delete.status_code] == [404, 404, 404, 404]
        assert 'data-testid="error-page"' in page.text
        assert page.headers["content-type"].startswith(HTML)
        contacts = await other.get(f"/api/v1/customers/{theirs['id']}/contacts")
        assert contacts.json()["items"] == []


async def test_customer_edit_and_delete(owner: httpx.AsyncClient):
    customer = await create_customer(owner)
    other = await create_customer(owner, "Other Diner")
    page = f"/dashboard/customers/{customer['id']}"

    taken = await owner.post(page, data=form(owner, name="Renamed", email=other["email"]))
    saved = await owner.post(page, data=form(owner, name="Renamed Diner", email=customer["email"]))
    after_save = (await owner.get(f"/api/v1/customers/{customer['id']}")).json()
    deleted = await owner.post(f"{page}/delete", data=form(owner))

    assert taken.status_code == 409
    assert texts_of(taken.text, "error-email") == ["A customer with this email already exists."]
    assert saved.status_code == 303
    assert saved.headers["location"] == page
    assert after_save["name"] == "Renamed Diner"
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/dashboard/customers"
    assert (await owner.get(f"/api/v1/customers/{customer['id']}")).status_code == 404
    assert "Customer deleted" in (await owner.get("/dashboard/customers")).text


# -- contacts ---------------------------------------------------------------------------------


async def test_contact_form_refusals_change_nothing(owner: httpx.AsyncClient):
    customer = await create_customer(owner)
    page = f"/dashboard/customers/{customer['id']}"

    bad_email = await owner.post(
        f"{page}/contacts", data=form(owner, contact_email="nope", contact_name="", contact_role="BUYER")
    )
    long_name = await owner.post(
        f"{page}/contacts",
        data=form(owner, contact_email="ok@example.com", contact_name="n" * 101, contact_role="BUYER"),
    )
    bad_role = await owner.post(
        f"{page}/contacts", data=form(owner, contact_email="ok@example.com", contact_name="", contact_role="OWNER")
    )

    assert [bad_email.status_code, long_name.status_code, bad_role.status_code] == [422, 422, 422]
    assert texts_of(bad_email.text, "error-contact_email")
    assert texts_of(long_name.text, "error-contact_name")
    assert texts_of(bad_role.text, "error-contact_role")
    # The panel stays open with what was typed.
    assert '<details class="panel-add" open>' in long_name.text
    assert 'value="ok@example.com"' in long_name.text
    assert (await owner.get(f"/api/v1/customers/{customer['id']}/contacts")).json()["items"] == []


async def test_contact_role_change_and_removal_by_form(owner: httpx.AsyncClient):
    customer = await create_customer(owner)
    page = f"/dashboard/customers/{customer['id']}"
    added = await owner.post(
        f"{page}/contacts", data=form(owner, contact_email="ap@example.com", contact_name="Al", contact_role="BUYER")
    )
    [contact] = (await owner.get(f"/api/v1/customers/{customer['id']}/contacts")).json()["items"]

    bad_role = await owner.post(f"{page}/contacts/{contact['id']}/role", data=form(owner, role="OWNER"))
    changed = await owner.post(f"{page}/contacts/{contact['id']}/role", data=form(owner, role="VIEWER"))
    role_after = (await owner.get(f"/api/v1/customers/{customer['id']}/contacts")).json()["items"][0]["role"]
    removed = await owner.post(f"{page}/contacts/{contact['id']}/remove", data=form(owner))
    removed_again = await owner.post(f"{page}/contacts/{contact['id']}/remove", data=form(owner))

    assert added.status_code == 303
    assert added.headers["location"] == f"{page}#contacts"
    assert bad_role.status_code == 422
    assert changed.status_code == 303
    assert role_after == "VIEWER"
    assert removed.status_code == 303
    assert removed_again.status_code == 404
    assert (await owner.get(f"/api/v1/customers/{customer['id']}/contacts")).json()["items"] == []
    assert (await owner.get(f"/api/v1/customers/{customer['id']}")).status_code == 200


# -- addresses --------------------------------------------------------------------------------


def address_form(client: httpx.AsyncClient, **overrides: str) -> dict[str, str]:
    fields = {
        "label": "",
        "recipient": "",
        "line1": "1 Main St",
        "line2": "",
        "city": "Springfield",
        "region": "",
        "postal_code": "12345",
        "country": "us",
        "phone": "",
    }
    return form(client, **{**fields, **overrides})


async def test_address_forms_add_edit_make_default_and_delete(owner: httpx.AsyncClient):
    customer = await create_customer(owner)
    page = f"/dashboard/customers/{customer['id']}"
    api_path = f"/api/v1/customers/{customer['id']}/addresses"

    refused = await owner.post(f"{page}/addresses", data=address_form(owner, city=" ", postal_code=""))
    nothing = (await owner.get(api_path)).json()["items"]
    first = await owner.post(f"{page}/addresses", data=address_form(owner, label="Head office"))
    second = await owner.post(f"{page}/addresses", data=address_form(owner, label="Dock", line1="2 Dock Rd"))
    head_office, dock = (await owner.get(api_path)).json()["items"]
    edit_page = await owner.get(f"{page}/addresses/{dock['id']}")
    edited = await owner.post(
        f"{page}/addresses/{dock['id']}", data=address_form(owner, label="Loading dock", line1="2 Dock Rd", phone="555")
    )
    made_default = await owner.post(f"{page}/addresses/{dock['id']}/default", data=form(owner))
    after = (await owner.get(api_path)).json()["items"]
    deleted = await owner.post(f"{page}/addresses/{head_office['id']}/delete", data=form(owner))

    assert refused.status_code == 422
    assert texts_of(refused.text, "error-city")
    assert texts_of(refused.text, "error-postal_code")
    assert nothing == []
    assert [first.status_code, second.status_code] == [303, 303]
    assert head_office["isDefault"]
    assert not dock["isDefault"]
    assert edit_page.status_code == 200
    assert 'value="2 Dock Rd"' in edit_page.text
    assert edited.status_code == 303
    assert made_default.status_code == 303
    assert [(item["label"], item["isDefault"], item["phone"]) for item in after] == [
        ("Loading dock", True, "555"),
        ("Head office", False, None),
    ]
    assert deleted.status_code == 303
    assert [item["id"] for item in (await owner.get(api_path)).json()["items"]] == [dock["id"]]


# -- team and invites -------------------------------------------------------------------------


async def test_members_get_the_403_page_for_team_and_api_keys_and_no_nav_to_them(
    full_system: RunningSystem, owner: httpx.AsyncClient
):
    member = await join_as(full_system.base_url, owner, "MEMBER")
    try:
        team = await member.get("/dashboard/team")
        keys = await member.get("/dashboard/api-keys")
        invite = await member.post("/dashboard/team", data=form(member, email="x@example.com", role="MEMBER"))
        customers = await member.get("/dashboard/customers")
    finally:
        await member.aclose()

    assert [team.status_code, keys.status_code, invite.status_code] == [403, 403, 403]
    assert 'data-testid="error-page"' in team.text
    assert "OWNER or ADMIN" in team.text
    assert customers.status_code == 200
    assert 'data-testid="nav-customers"' in customers.text
    assert 'data-testid="nav-team"' not in customers.text
    assert 'data-testid="nav-api-keys"' not in customers.text
    assert (await owner.get("/api/v1/invites")).json()["items"] == []


async def test_invite_shows_the_link_once_and_the_plan_limit_as_a_banner(owner: httpx.AsyncClient):
    # Starter allows 3 team members, pending invites included: the owner and two invites fill it.
    first = await owner.post("/dashboard/team", data=form(owner, email=f"{unique('a')}@example.com", role="ADMIN"))
    second = await owner.post("/dashboard/team", data=form(owner, email=f"{unique('b')}@example.com", role="MEMBER"))
    third = await owner.post("/dashboard/team", data=form(owner, email=f"{unique('c')}@example.com", role="MEMBER"))
    owner_role = await owner.post("/dashboard/team", data=form(owner, email=f"{unique('d')}@example.com", role="OWNER"))
    later = await owner.get("/dashboard/team")

    assert [first.status_code, second.status_code] == [200, 200]
    [link] = re.findall(r'value="([^"]+)" aria-label="Invite link"', first.text)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/invites/accept\?token=[\w-]+", link)
    assert first.headers["cache-control"] == "no-store"
    assert third.status_code == 402
    assert "allows 3 team members (maxTeamMembers)" in texts_of(third.text, "error-banner")[0]
    assert owner_role.status_code == 400
    assert 'aria-label="Invite link"' not in later.text
    assert len(texts_of(later.text, "invite-revoke")) == 2


async def test_invite_revoke_and_member_role_change_by_form(full_system: RunningSystem, owner: httpx.AsyncClient):
    admin = await join_as(full_system.base_url, owner, "ADMIN")
    await admin.aclose()
    invite = await owner.post("/api/v1/invites", json={"email": f"{unique('r')}@example.com", "role": "MEMBER"})
    members = (await owner.get("/api/v1/members")).json()["items"]
    the_owner, the_admin = members

    revoked = await owner.post(f"/dashboard/team/invites/{invite.json()['id']}/revoke", data=form(owner))
    demoted = await owner.post(f"/dashboard/team/members/{the_admin['id']}/role", data=form(owner, role="MEMBER"))
    owner_role = await owner.post(f"/dashboard/team/members/{the_owner['id']}/role", data=form(owner, role="MEMBER"))
    page = await owner.get("/dashboard/team")

    assert revoked.status_code == 303
    assert demoted.status_code == 303
    assert owner_role.status_code == 409
    assert "transferring ownership" in texts_of(owner_role.text, "error-banner")[0]
    assert (await owner.get("/api/v1/invites")).json()["items"] == []
    assert [m["role"] for m in (await owner.get("/api/v1/members")).json()["items"]] == ["OWNER", "MEMBER"]
    # Only the owner sees "Make owner", never on their own row.
    assert len(texts_of(page.text, "member-make-owner")) == 1


async def test_accept_page_refusals(full_system: RunningSystem, owner: httpx.AsyncClient):
    invite = await owner.post("/api/v1/invites", json={"email": f"{unique('new')}@example.com", "role": "MEMBER"})
    token = invite.json()["token"]
    async with httpx.AsyncClient(base_url=full_system.base_url) as visitor:
        unknown = await visitor.get("/invites/accept", params={"token": "not-a-real-token"})
        missing = await visitor.get("/invites/accept")
        page = await visitor.get("/invites/accept", params={"token": token})
        fields = {"token": token, "name": "Nia New", "password": PASSWORD}
        mismatch = await visitor.post("/invites/accept", data=form(visitor, **fields, confirm_password="different"))
        short = await visitor.post(
            "/invites/accept", data=form(visitor, token=token, name="Nia", password="short", confirm_password="short")
        )
        forged = await visitor.post("/invites/accept", data={**fields, "confirm_password": PASSWORD})

    assert [unknown.status_code, missing.status_code] == [404, 404]
    assert "invalid, has expired or was already used" in unknown.text
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'data-testid="field-confirm_password"' in page.text
    assert mismatch.status_code == 422
    assert texts_of(mismatch.text, "error-confirm_password") == ["The passwords do not match."]
    assert 'value="Nia New"' in mismatch.text
    assert short.status_code == 422
    assert texts_of(short.text, "error-password")
    assert forged.status_code == 403
    assert [i["status"] for i in (await owner.get("/api/v1/invites")).json()["items"]] == ["PENDING"]
    assert len((await owner.get("/api/v1/members")).json()["items"]) == 1


async def test_existing_user_accepts_with_their_password_only(full_system: RunningSystem, owner: httpx.AsyncClient):
    async with httpx.AsyncClient(base_url=full_system.base_url) as elsewhere:
        other_owner = await sign_up(elsewhere)
    email = other_owner["user"]["email"]
    invite = await owner.post("/api/v1/invites", json={"email": email, "role": "ADMIN"})
    token = invite.json()["token"]
    async with httpx.AsyncClient(base_url=full_system.base_url) as visitor:
        page = await visitor.get("/invites/accept", params={"token": token})
        wrong = await visitor.post("/invites/accept", data=form(visitor, token=token, password="not the password"))
        joined = await visitor.post("/invites/accept", data=form(visitor, token=token, password=PASSWORD))
        dashboard = await visitor.get("/dashboard")

    assert f"Sign in as {email} to join." in page.text
    assert 'data-testid="field-name"' not in page.text
    assert wrong.status_code == 401
    # The same words as a failed sign-in: the page must not confirm whose password was tried.
    assert "Email or password is incorrect." in wrong.text
    assert joined.status_code == 303
    assert joined.headers["location"] == "/dashboard"
    assert dashboard.status_code == 200
    assert "You have joined the team" in dashboard.text
    company = (await owner.get("/api/v1/company")).json()
    assert texts_of(dashboard.text, "company-name") == [company["name"]]


# -- API keys ---------------------------------------------------------------------------------


async def test_api_key_form_needs_a_scope_and_shows_the_secret_once(
    full_system: RunningSystem, owner: httpx.AsyncClient
):
    no_scope = await owner.post("/dashboard/api-keys", data=form(owner, name="ERP"))
    no_name = await owner.post("/dashboard/api-keys", data=form(owner, name=" ", **{"scope:catalog:read": "on"}))
    created = await owner.post(
        "/dashboard/api-keys", data=form(owner, name="ERP", **{"scope:customers:write": "on", "scope:audit:read": "on"})
    )
    later = await owner.get("/dashboard/api-keys")

    assert [no_scope.status_code, no_name.status_code] == [422, 422]
    assert texts_of(no_scope.text, "error-scopes") == ["Choose at least one scope."]
    assert 'value="ERP"' in no_scope.text
    assert texts_of(no_name.text, "error-name")
    assert 'name="scope:catalog:read" value="on" checked' in no_name.text
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    [secret] = re.findall(r'value="([^"]+)" aria-label="API key secret"', created.text)
    assert secret not in later.text
    [key] = (await owner.get("/api/v1/api-keys")).json()["items"]
    assert sorted(key["scopes"]) == ["audit:read", "customers:write"]
    async with httpx.AsyncClient(base_url=full_system.base_url) as integrator:
        listed = await integrator.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"})
    assert listed.status_code == 200

    revoked = await owner.post(f"/dashboard/api-keys/{key['id']}/revoke", data=form(owner))
    again = await owner.post(f"/dashboard/api-keys/{key['id']}/revoke", data=form(owner))
    assert revoked.status_code == 303
    assert again.status_code == 404
    assert (await owner.get("/api/v1/api-keys")).json()["items"] == []


# -- every page -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/dashboard/customers", f"/dashboard/customers/{uuid.uuid4()}", "/dashboard/team", "/dashboard/api-keys"]
)
async def test_pages_send_signed_out_visitors_to_login(full_system: RunningSystem, path: str):
    async with httpx.AsyncClient(base_url=full_system.base_url) as visitor:
        response = await visitor.get(path)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_forms_without_the_csrf_token_are_refused(owner: httpx.AsyncClient):
    customer = await create_customer(owner)

    posts = [
        await owner.post("/dashboard/customers", data={"name": "X", "email": "x@example.com"}),
        await owner.post(f"/dashboard/customers/{customer['id']}/delete", data={}),
        await owner.post("/dashboard/team", data={"email": "x@example.com", "role": "MEMBER"}),
        await owner.post("/dashboard/api-keys", data={"name": "X", "scope:catalog:read": "on"}),
    ]

    assert [response.status_code for response in posts] == [403, 403, 403, 403]
    assert await customer_count(owner) == 1
    assert (await owner.get("/api/v1/invites")).json()["items"] == []
    assert (await owner.get("/api/v1/api-keys")).json()["items"] == []
