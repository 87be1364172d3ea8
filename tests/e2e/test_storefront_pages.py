"""The storefront's pages without a browser: GET a page, take its CSRF token, POST its form, read the HTML.

Sessions are per storefront (a cookie scoped to `/store/{slug}`), sign-in goes only to this storefront's
pages, the API decides who may change addresses and contacts and the pages show its refusals.
"""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gateway.sessions import STOREFRONT_COOKIE
from tests.support.api import sign_up, unique
from tests.support.systems import RunningSystem

STORE_PASSWORD = "storefront password 1"
NO_PENDING_ACCOUNT = "No pending account found for this email. Please contact your distributor."
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Shop:
    """A distributor's storefront, its owner's API client, and one customer with its primary account."""

    slug: str
    name: str
    owner: httpx.AsyncClient
    customer: dict[str, Any]


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def open_shop(owner: httpx.AsyncClient) -> Shop:
    """A new company (owner signed in on `owner`) with one customer, through the public API."""
    company = (await sign_up(owner))["company"]
    customer = created(
        await owner.post(
            "/api/v1/customers", json={"email": f"{unique('buyer')}@example.com", "name": f"Blue Plate {unique('c')}"}
        )
    )
    return Shop(slug=company["slug"], name=company["name"], owner=owner, customer=customer)


async def add_contact(shop: Shop, role: str, *, name: str = "Casey Clerk") -> dict[str, Any]:
    body = {"email": f"{unique(role.lower())}@example.com", "name": name, "role": role}
    return created(await shop.owner.post(f"/api/v1/customers/{shop.customer['id']}/contacts", json=body))


async def set_password(base_url: str, slug: str, email: str, password: str = STORE_PASSWORD) -> None:
    """What the person does once, at the storefront's setup-password API."""
    async with httpx.AsyncClient(base_url=base_url) as anonymous:
        answer = await anonymous.post(
            f"/store/{slug}/api/setup-password",
            json={"email": email, "password": password, "confirmPassword": password},
        )
        assert answer.status_code == 200, answer.text


def csrf_token(page: httpx.Response) -> str:
    found = CSRF_FIELD.search(page.text)
    assert found is not None, f"no csrf_token on {page.url}"
    return found.group(1)


async def submit(client: httpx.AsyncClient, page_url: str, action: str, form: dict[str, str]) -> httpx.Response:
    """Load `page_url` (as a browser would, for its CSRF token) and post `form` to `action`."""
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(action, data={**form, "csrf_token": csrf_token(page)})


async def sign_in(client: httpx.AsyncClient, slug: str, email: str, **extra: str) -> httpx.Response:
    login = f"/store/{slug}/login"
    return await submit(client, login, login, {"email": email, "password": STORE_PASSWORD, **extra})


def location(response: httpx.Response) -> str:
    assert response.status_code == 303, f"{response.status_code}: {response.text[:500]}"
    return response.headers["location"]


@pytest.fixture
async def owner(full_system: RunningSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=full_system.base_url) as client:
        yield client


@pytest.fixture
async def browser_client(full_system: RunningSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=full_system.base_url) as client:
        yield client


# -- sessions per storefront -------------------------------------------------------------------


async def test_session_cookie_is_scoped_to_the_storefront_and_other_storefronts_treat_you_as_signed_out(
    full_system: RunningSystem, owner: httpx.AsyncClient, browser_client: httpx.AsyncClient
):
    shop = await open_shop(owner)
    async with httpx.AsyncClient(base_url=full_system.base_url) as other_owner:
        other = await open_shop(other_owner)
        await set_password(full_system.base_url, shop.slug, shop.customer["email"])

        signed = await sign_in(browser_client, shop.slug, shop.customer["email"])
        assert location(signed) == f"/store/{shop.slug}/catalog"
        [cookie] = [value for value in signed.headers.get_list("set-cookie") if value.startswith(STOREFRONT_COOKIE)]
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert f"path=/store/{shop.slug}" in attributes
        assert "httponly" in attributes
        assert "samesite=lax" in attributes

        account = await browser_client.get(f"/store/{shop.slug}/account")
        assert account.status_code == 200
        assert shop.customer["name"] in account.text

        # The browser does not even send it to another storefront: signed out there.
        elsewhere = await browser_client.get(f"/store/{other.slug}/account")
        assert location(elsewhere) == f"/store/{other.slug}/login?next=%2Fstore%2F{other.slug}%2Faccount"
        landing = await browser_client.get(f"/store/{other.slug}")
        assert 'data-testid="store-login-link"' in landing.text
        assert shop.customer["name"] not in landing.text

        # Sent there on purpose, it is still another company's session: signed out there too.
        token = browser_client.cookies.get(STOREFRONT_COOKIE, path=f"/store/{shop.slug}")
        assert token
        async with httpx.AsyncClient(base_url=full_system.base_url) as forger:
            forged = await forger.get(
                f"/store/{other.slug}/account", headers={"cookie": f"{STOREFRONT_COOKIE}={token}"}
            )
            assert location(forged).startswith(f"/store/{other.slug}/login")
            # Nor is it a staff session.
            dashboard = await forger.get("/dashboard", headers={"cookie": f"{STOREFRONT_COOKIE}={token}"})
            assert location(dashboard).startswith("/login")

        # And the session still works where it belongs.
        assert (await browser_client.get(f"/store/{shop.slug}/account")).status_code == 200


async def test_a_storefront_that_does_not_exist_is_a_404_page(browser_client: httpx.AsyncClient):
    for page in ("", "/login", "/setup-password", "/account", "/addresses", "/contacts"):
        missing = await browser_client.get(f"/store/{unique('nowhere')}{page}")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        assert 'data-testid="error-page"' in missing.text


# -- sign-in, setup, sign-out ------------------------------------------------------------------


async def test_signed_out_visitors_are_sent_to_sign_in_and_come_back_after(
    full_system: RunningSystem, owner: httpx.AsyncClient, browser_client: httpx.AsyncClient
):
    shop = await open_shop(owner)
    await set_password(full_system.base_url, shop.slug, shop.customer["email"])
    for page in ("account", "addresses", "contacts"):
        redirected = await browser_client.get(f"/store/{shop.slug}/{page}")
        target = location(redirected)
        assert urlsplit(target).path == f"/store/{shop.slug}/login"
        assert parse_qs(urlsplit(target).query) == {"next": [f"/store/{shop.slug}/{page}"]}

    login_page = await browser_client.get(target)
    assert f'name="next" value="/store/{shop.slug}/contacts"' in login_page.text
    signed = await sign_in(browser_client, shop.slug, shop.customer["email"], next=f"/store/{shop.slug}/contacts")
    assert location(signed) == f"/store/{shop.slug}/contacts"
    # Signed in, the sign-in page sends you on.
    assert location(await browser_client.get(f"/store/{shop.slug}/login")) == f"/store/{shop.slug}/catalog"


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/store/x/",
        "//evil.example/",
        "/dashboard",
        "/store/other-shop/account",
        "/store/{slug}/../x",
    ],
)
async def test_sign_in_never_sends_you_outside_the_storefront(
    full_system: RunningSystem, owner: httpx.AsyncClient, browser_client: httpx.AsyncClient, next_path: str
):
    shop = await open_shop(owner)
    await set_password(full_system.base_url, shop.slug, shop.customer["email"])
    signed = await sign_in(browser_client, shop.slug, shop.customer["email"], next=next_path.format(slug=shop.slug))
    assert location(signed) == f"/store/{shop.slug}/catalog"


async def test_wrong_password_is_refused_with_the_apis_message_and_keeps_the_email(
    full_system: RunningSystem, owner: httpx.AsyncClient, browser_client: httpx.AsyncClient
):
    shop = await open_shop(owner)
    email = shop.customer["email"]
    await set_password(full_system.base_url, shop.slug, email)
    login = f"/store/{shop.slug}/login"

    refused = await submit(browser_client, login, login, {"email": email, "password": "not the password"})
    assert refused.status_code == 401
    assert "Email or password is incorrect." in refused.text
    assert f'value="{email}"' in refused.text
    assert STOREFRONT_COOKIE not in refused.headers.get("set-cookie", "")

    # Five misses for one account in the window; the next attempt is refused before it is checked.
    for _ in range(4):
        await submit(browser_client, login, login, {"email": email, "password": "still wrong"})
    limited = await submit(browser_client, login, login, {"email": email, "password": STORE_PASSWORD})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many sign-in attempts" in limited.text
    assert (await browser_client.get(f"/store/{shop.slug}/account")).status_code == 303


async def test_setup_password_refuses_an_email_whose_password_is_set_with_the_same_message(
    full_system: RunningSystem, owner: httpx.AsyncClient, browser_client: httpx.AsyncClient
):
    shop = await open_shop(owner)
    email = shop.customer["email"]
    setup = f"/store/{shop.slug}/setup-password"
    form = {"email": email, "password": "a first password", "confirm_password": "a first password"}

    done = await submit(browser_client, setup, setup, form)
    assert location(done) == f"/store/{shop.slug}/login"
    assert "Your password is set. Sign in to continue." in (await browser_client.get(location(done))).text

    again = await submit(
        browser_client, setup, setup, {**form, "password": "another one", "confirm_password": "another one"}
    )
    assert again.status_code == 400
    assert NO_PENDING_ACCOUNT in again.text
    assert f'value="{email}"' in again.text
    # The first password still signs in; the second never took.
    login = f"/store/{shop.slug}/login"
    assert (await submit(browser_client, login, login, {"email": email, "password": "another one"})).status_code == 401
    assert location(await submit(browser_client, login, login, {"email": email, "password": "a first password"}))


async def test_setup_password_shows_length_rules_at_their_fields(
    owner: httpx.AsyncClient, browser_client: httpx.AsyncClient
):
    shop = await open_shop(owner)
    setup = f"/store/{shop.slug}/setup-password"
    short = await submit(
        browser_client,
        setup,
        setup,
        {"email": shop.customer["email"], "password": "short", "confirm_password": "short"},
    )
    assert short.status_code == 422
    assert 'data-testid="error-password"' in short.text
    assert "Please correct the fields marked below." in short.text
    # Nothing was set: the account is still pending.
    customer = (await owner.get(f"/api/v1/customers/{shop.customer['id']}")).json()
    assert customer["status"] == "PENDING"


async def test_forms_without_the_csrf_token_are_refused(owner: httpx.AsyncClient, browser_client: httpx.AsyncClient):
    shop = await open_shop(owner)
    await browser_client.get(f"/store/{shop.slug}/login")
    for action in ("login", "setup-password", "logout", "addresses", "contacts"):
        refused = await browser_client.post(f"/store/{shop.slug}/{action}", data={"email": shop.customer["email"]})
        assert refused.status_code == 403, action
        assert "This form has expired" in refused.text


async def test_sign_out_ends_the_session_for_good(
    full_system: RunningSystem, owner: httpx.AsyncClient, browser_client: httpx.AsyncClient
):
    shop = await open_shop(owner)
    await set_password(full_system.base_url, shop.slug, shop.customer["email"])
    await sign_in(browser_client, shop.slug, shop.customer["email"])
    token = browser_client.cookies.get(STOREFRONT_COOKIE)
    account = f"/store/{shop.slug}/account"

    signed_out = await submit(browser_client, account, f"/store/{shop.slug}/logout", {})
    assert location(signed_out) == f"/store/{shop.slug}"
    cleared = [value for value in signed_out.headers.get_list("set-cookie") if value.startswith(STOREFRONT_COOKIE)]
    assert cleared
    assert f"Path=/store/{shop.slug}" in cleared[0]
    assert "Max-Age=0" in cleared[0]
    landing = await browser_client.get(f"/store/{shop.slug}")
    assert "You have signed out." in landing.text
    assert 'data-testid="store-sign-in"' in landing.text

    # The old token, replayed, no longer signs anyone in.
    async with httpx.AsyncClient(base_url=full_system.base_url) as replay:
        again = await replay.get(account, headers={"cookie": f"{STOREFRONT_COOKIE}={token}"})
        assert location(again).startswith(f"/store/{shop.slug}/login")


# -- addresses ---------------------------------------------------------------------------------

ADDRESS = {
    "label": "Main warehouse",
    "recipient": "Receiving dock",
    "line1": "1 Harbour Road",
    "line2": "",
    "city": "Bristol",
    "region": "",
    "postal_code": "BS1 5TY",
    "country": "gb",
    "phone": "",
}


async def addresses_of(shop: Shop) -> list[dict[str, Any]]:
    answer = await shop.owner.get(f"/api/v1/customers/{shop.customer['id']}/addresses")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_an_admin_adds_edits_makes_default_and_deletes_addresses(
    full_system: RunningSystem, owner: httpx.AsyncClient, browser_client: httpx.AsyncClient
):
    shop = await open_shop(owner)
    admin = await add_contact(shop, "ADMIN")
    await set_password(full_system.base_url, shop.slug, admin["email"])
    await sign_in(browser_client, shop.slug, admin["email"])
    book = f"/store/{shop.slug}/addresses"

    bad = await submit(browser_client, book, book, {**ADDRESS, "country": "Britain", "city": ""})
    assert bad.status_code == 422
    assert 'data-testid="error-country"' in bad.text
    assert 'data-testid="error-city"' in bad.text
    assert 'value="1 Harbour Road"' in bad.text
    assert await addresses_of(shop) == []

    assert location(await submit(browser_client, book, book, ADDRESS)) == book
    second = {**ADDRESS, "label": "Shop floor", "line1": "9 Market Street", "country": "GB"}
    assert location(await submit(browser_client, book, book, second)) == book
    first, other = await addresses_of(shop)
    assert (first["label"], first["isDefault"], first["country"]) == ("Main warehouse", True, "GB")
    assert (other["label"], other["isDefault"]) == ("Shop floor", False)
    page = await browser_client.get(book)
    assert "Address added." in page.text
    assert page.text.count('data-testid="address-row"') == 2
    assert page.text.count('data-testid="address-make-default"') == 1

    made = await submit(browser_client, book, f"{book}/{other['id']}/default", {})
    assert location(made) == book
    assert [address["label"] for address in await addresses_of(shop) if address["isDefault"]] == ["Shop floor"]

    edit = f"{book}/{first['id']}/edit"
    edit_page = await browser_client.get(edit)
    assert 'value="Main warehouse"' in edit_page.text
    refused = await submit(browser_client, edit, edit, {**ADDRESS, "line1": ""})
    assert refused.status_code == 422
    assert 'data-testid="error-line1"' in refused.text
    saved = await submit(browser_client, edit, edit, {**ADDRESS, "label": "North warehouse", "phone": "+44 117 000"})
    assert location(saved) == book
    edited = next(address for address in await addresses_of(shop) if address["id"] == first["id"])
    assert (edited["label"], edited["phone"], edited["line1"]) == ("North warehouse", "+44 117 000", "1 Harbour Road")

    assert location(await submit(browser_client, book, f"{book}/{first['id']}/delete", {})) == book
    assert [address["id"] for address in await addresses_of(shop)] == [other["id"]]
    assert (await browser_client.get(f"{book}/{first['id']}/edit")).status_code == 404
    assert (await browser_client.get(f"{book}/not-an-id/edit")).status_code == 404


async def test_buyers_see_the_addresses_without_controls_and_may_not_change_them(
    full_system: RunningSystem, owner: httpx.AsyncClient, browser_client: httpx.AsyncClient
):
    shop = await open_shop(owner)
    address_body = {"line1": "1 Harbour Road", "city": "Bristol", "postalCode": "BS1 5TY", "country": "GB"}
    created(await owner.post(f"/api/v1/customers/{shop.customer['id']}/addresses", json=address_body))
    buyer = await add_contact(shop, "BUYER")
    await set_password(full_system.base_url, shop.slug, buyer["email"])
    await sign_in(browser_client, shop.slug, buyer["email"])
    book = f"/store/{shop.slug}/addresses"

    page = await browser_client.get(book)
    assert page.status_code == 200
    assert page.text.count('data-testid="address-row"') == 1
    for control in ("address-form", "address-edit", "address-make-default", "address-delete", "store-nav-contacts"):
        assert f'data-testid="{control}"' not in page.text

    [address] = await addresses_of(shop)
    refused = await submit(browser_client, book, f"{book}/{address['id']}/delete", {})
    assert refused.status_code == 403
    assert 'data-testid="error-banner"' in refused.text
    added = await submit(browser_client, book, book, ADDRESS)
    assert added.status_code == 403
    assert [item["id"] for item in await addresses_of(shop)] == [address["id"]]

    contacts = await browser_client.get(f"/store/{shop.slug}/contacts")
    assert contacts.status_code == 403
    assert 'data-testid="error-page"' in contacts.text


# -- contacts ----------------------------------------------------------------------------------


async def contacts_of(shop: Shop) -> list[dict[str, Any]]:
    answer = await shop.owner.get(f"/api/v1/customers/{shop.customer['id']}/contacts")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_an_admin_changes_roles_and_removes_contacts_and_the_removed_contact_is_signed_out(
    full_system: RunningSystem, owner: httpx.AsyncClient, browser_client: httpx.AsyncClient
):
    shop = await open_shop(owner)
    admin = await add_contact(shop, "ADMIN", name="Ada Admin")
    buyer = await add_contact(shop, "BUYER", name="Bo Buyer")
    for person in (admin, buyer):
        await set_password(full_system.base_url, shop.slug, person["email"])
    await sign_in(browser_client, shop.slug, admin["email"])
    people = f"/store/{shop.slug}/contacts"
    async with httpx.AsyncClient(base_url=full_system.base_url) as buyer_browser:
        await sign_in(buyer_browser, shop.slug, buyer["email"])

        page = await browser_client.get(people)
        assert page.status_code == 200
        assert shop.customer["email"] in page.text
        assert buyer["email"] in page.text
        # No controls on your own row: the API refuses you your own role and removal.
        assert page.text.count('data-testid="contact-remove"') == 1

        changed = await submit(browser_client, people, f"{people}/{buyer['id']}/role", {"role": "VIEWER"})
        assert location(changed) == people
        assert {contact["email"]: contact["role"] for contact in await contacts_of(shop)}[buyer["email"]] == "VIEWER"
        # On their next request, without signing in again.
        assert 'data-testid="account-role">Viewer' in (await buyer_browser.get(f"/store/{shop.slug}/account")).text

        yourself = await submit(browser_client, people, f"{people}/{admin['id']}/remove", {})
        assert yourself.status_code == 409
        assert "You cannot remove yourself" in yourself.text

        removed = await submit(browser_client, people, f"{people}/{buyer['id']}/remove", {})
        assert location(removed) == people
        assert "Contact removed." in (await browser_client.get(people)).text
        assert [contact["email"] for contact in await contacts_of(shop)] == [admin["email"]]
        gone = await buyer_browser.get(f"/store/{shop.slug}/account")
        assert location(gone).startswith(f"/store/{shop.slug}/login")


async def test_adding_a_contact_shows_the_apis_refusals_at_their_fields_and_keeps_the_input(
    full_system: RunningSystem, owner: httpx.AsyncClient, browser_client: httpx.AsyncClient
):
    shop = await open_shop(owner)
    await set_password(full_system.base_url, shop.slug, shop.customer["email"])
    await sign_in(browser_client, shop.slug, shop.customer["email"])
    people = f"/store/{shop.slug}/contacts"

    malformed = await submit(browser_client, people, people, {"email": "not-an-email", "name": "Nia", "role": "VIEWER"})
    assert malformed.status_code == 422
    assert 'data-testid="error-email"' in malformed.text
    assert 'value="Nia"' in malformed.text
    assert '<option value="VIEWER" selected>' in malformed.text

    email = f"{unique('nia')}@example.com"
    assert location(await submit(browser_client, people, people, {"email": email, "name": "Nia", "role": "VIEWER"}))
    duplicate = await submit(browser_client, people, people, {"email": email.upper(), "name": "", "role": "BUYER"})
    assert duplicate.status_code == 409
    assert "A contact with this email already exists for this customer." in duplicate.text
    [contact] = await contacts_of(shop)
    assert (contact["email"], contact["name"], contact["role"], contact["status"]) == (
        email,
        "Nia",
        "VIEWER",
        "PENDING",
    )
