"""Storefront accounts: one-shot password setup, sign-in by email and password, "who am I", and the
principal directory the gateway reads to keep sessions current."""

import uuid
from typing import Any

from services.identity.storefront.service import NO_PENDING_ACCOUNT
from tests.identity.conftest import Identity
from tests.identity.people import (
    assert_problem,
    company_of,
    contact_caller,
    create_contact,
    create_customer,
    events_after,
    primary_caller,
    principal_entry,
)

PASSWORD = "storefront-pass-1"


def storefront(identity: Identity, account: dict[str, Any]) -> dict[str, str]:
    """An anonymous caller on `account`'s company storefront (the gateway puts the company in the context)."""
    return identity.anonymous(company_id=company_of(account))


async def setup(identity: Identity, account: dict[str, Any], email: str, password: str = PASSWORD, **body: str):
    payload = {"email": email, "password": password, "confirmPassword": body.get("confirm", password)}
    return await identity.client.post("/storefront/setup-password", json=payload, headers=storefront(identity, account))


async def login(identity: Identity, account: dict[str, Any], email: str, password: str = PASSWORD):
    return await identity.client.post(
        "/storefront/login", json={"email": email, "password": password}, headers=storefront(identity, account)
    )


async def customer_with_contact(identity: Identity, account: dict[str, Any], **contact: str):
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    return customer, await create_contact(identity, owner, customer, **contact)


async def test_contact_sets_a_password_once_and_is_sent_to_the_storefront_login(identity: Identity) -> None:
    account = await identity.signup()
    _, contact = await customer_with_contact(identity, account, role="BUYER")
    before = len(await identity.events(account))

    response = await setup(identity, account, contact["email"].upper())

    assert response.status_code == 200, response.text
    assert response.json() == {"loginPath": f"/store/{account['company']['slug']}/login"}
    [event] = await events_after(identity, account, before)
    assert event.type == "StorefrontPasswordSet"
    assert (event.entity.type, event.entity.id) == ("CustomerContact", contact["id"])
    assert (event.actor.type, str(event.actor.id)) == ("CUSTOMER", contact["id"])
    assert event.data == {
        "accountType": "contact",
        "id": contact["id"],
        "customerId": contact["customerId"],
        "email": contact["email"],
    }
    assert "password" not in str(event.data).lower().replace("passwordset", "")

    again = await setup(identity, account, contact["email"], "another-pass-2")

    problem = assert_problem(again, 400)
    assert problem["detail"] == NO_PENDING_ACCOUNT
    assert (await login(identity, account, contact["email"], "another-pass-2")).status_code == 401
    assert (await login(identity, account, contact["email"])).status_code == 200


async def test_primary_customer_account_sets_its_password_and_signs_in_as_admin(identity: Identity) -> None:
    account = await identity.signup()
    customer = await create_customer(identity, identity.owner_of(account))

    assert (await setup(identity, account, customer["email"])).status_code == 200
    response = await login(identity, account, customer["email"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["account"] == {
        "type": "customer",
        "id": customer["id"],
        "email": customer["email"],
        "name": customer["name"],
    }
    assert body["customer"] == {"id": customer["id"], "name": customer["name"], "email": customer["email"]}
    assert body["contact"] is None
    assert body["role"] == "ADMIN"
    assert body["company"]["slug"] == account["company"]["slug"]


async def test_an_account_typed_in_mixed_case_sets_up_and_signs_in_in_any_case(identity: Identity) -> None:
    account = await identity.signup()
    tag = uuid.uuid4().hex[:8]
    customer = await create_customer(identity, identity.owner_of(account), email=f"Jane.Doe.{tag}@Diner.example")

    assert (await setup(identity, account, f"jane.doe.{tag}@diner.example")).status_code == 200
    response = await login(identity, account, f"JANE.DOE.{tag}@DINER.EXAMPLE")

    assert response.status_code == 200, response.text
    assert response.json()["account"]["email"] == customer["email"] == f"Jane.Doe.{tag}@Diner.example"


async def test_unknown_email_and_another_companys_contact_get_the_exact_message(identity: Identity) -> None:
    ours = await identity.signup(companyName="Ours")
    theirs = await identity.signup(companyName="Theirs")
    _, their_contact = await customer_with_contact(identity, theirs)

    for email in ("nobody@example.com", their_contact["email"], "not-even-an-email"):
        problem = assert_problem(await setup(identity, ours, email), 400)
        assert problem["detail"] == "No pending account found for this email. Please contact your distributor."

    # Their contact is still pending on their own storefront.
    assert (await setup(identity, theirs, their_contact["email"])).status_code == 200


async def test_password_rules_are_checked_and_a_refusal_changes_nothing(identity: Identity) -> None:
    account = await identity.signup()
    _, contact = await customer_with_contact(identity, account)
    before = len(await identity.events(account))

    mismatch = await setup(identity, account, contact["email"], PASSWORD, confirm="something-else")
    short = await setup(identity, account, contact["email"], "short")
    too_long = await setup(identity, account, contact["email"], "x" * 101)

    problem = assert_problem(mismatch, 400)
    assert problem["errors"] == [{"field": "confirmPassword", "message": "The passwords do not match."}]
    assert assert_problem(short, 422)["errors"][0]["field"] == "password"
    assert assert_problem(too_long, 422)["errors"][0]["field"] == "password"
    assert await events_after(identity, account, before) == []
    # Still pending: the real setup works afterwards.
    assert (await setup(identity, account, contact["email"])).status_code == 200


async def test_two_pending_accounts_sharing_an_email_cannot_share_a_password(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    email = f"billing-{uuid.uuid4().hex[:6]}@example.com"
    acme = await create_customer(identity, owner, name="Acme")
    diner = await create_customer(identity, owner, name="Blue Plate Diner")
    at_acme = await create_contact(identity, owner, acme, email=email, role="ADMIN")
    at_diner = await create_contact(identity, owner, diner, email=email, role="VIEWER")

    assert (await setup(identity, account, email, "first-password")).status_code == 200
    refused = await setup(identity, account, email, "first-password")
    assert assert_problem(refused, 409)["errors"][0]["field"] == "password"
    assert (await setup(identity, account, email, "second-password")).status_code == 200

    first = (await login(identity, account, email, "first-password")).json()
    second = (await login(identity, account, email, "second-password")).json()
    assert (first["contact"]["id"], first["role"]) == (at_acme["id"], "ADMIN")
    assert (second["contact"]["id"], second["role"]) == (at_diner["id"], "VIEWER")
    # Both set: the email has no pending account left.
    assert assert_problem(await setup(identity, account, email, "third-password"), 400)["detail"] == NO_PENDING_ACCOUNT


async def test_sign_in_failures_read_the_same_and_stay_within_the_storefront(identity: Identity) -> None:
    ours = await identity.signup(companyName="Ours")
    theirs = await identity.signup(companyName="Theirs")
    _, contact = await customer_with_contact(identity, ours)
    _, pending = await customer_with_contact(identity, ours)
    await setup(identity, ours, contact["email"])

    wrong_password = await login(identity, ours, contact["email"], "wrong-password")
    unknown = await login(identity, ours, "nobody@example.com")
    not_set_up = await login(identity, ours, pending["email"])
    other_storefront = await login(identity, theirs, contact["email"])

    details = {
        assert_problem(response, 401)["detail"] for response in (wrong_password, unknown, not_set_up, other_storefront)
    }
    assert details == {"Email or password is incorrect."}


async def test_sign_in_raises_an_event_and_publishes_the_principal(identity: Identity) -> None:
    account = await identity.signup()
    _, contact = await customer_with_contact(identity, account, role="VIEWER")
    await setup(identity, account, contact["email"])
    before = len(await identity.events(account))

    response = await login(identity, account, contact["email"])

    assert response.status_code == 200
    [event] = await events_after(identity, account, before)
    assert event.type == "StorefrontSignedIn"
    assert (event.actor.type, str(event.actor.id)) == ("CUSTOMER", contact["id"])
    assert event.ip_address == "203.0.113.7"
    assert await principal_entry(identity, contact["id"]) == {
        "ref": contact["id"],
        "type": "contact",
        "id": contact["id"],
        "companyId": account["company"]["id"],
        "role": "VIEWER",
        "customerId": contact["customerId"],
        "version": 2,
    }


async def test_me_shows_customer_contact_and_current_role(identity: Identity) -> None:
    account = await identity.signup()
    customer, contact = await customer_with_contact(identity, account, role="BUYER")
    path = f"/api/v1/customers/{customer['id']}/contacts/{contact['id']}"
    await identity.client.patch(path, json={"role": "VIEWER"}, headers=identity.owner_of(account))

    as_contact = await identity.client.get("/storefront/me", headers=contact_caller(identity, account, contact))
    as_primary = await identity.client.get("/storefront/me", headers=primary_caller(identity, account, customer))

    assert as_contact.status_code == 200, as_contact.text
    body = as_contact.json()
    assert body["contact"] == {
        "id": contact["id"],
        "name": contact["name"],
        "email": contact["email"],
        "role": "VIEWER",
    }
    assert (body["customer"]["id"], body["role"], body["account"]["type"]) == (customer["id"], "VIEWER", "contact")
    assert (as_primary.json()["contact"], as_primary.json()["role"]) == (None, "ADMIN")


async def test_me_refuses_anonymous_callers_staff_and_removed_contacts(identity: Identity) -> None:
    account = await identity.signup()
    customer, contact = await customer_with_contact(identity, account)
    await identity.client.delete(
        f"/api/v1/customers/{customer['id']}/contacts/{contact['id']}", headers=identity.owner_of(account)
    )

    anonymous = await identity.client.get("/storefront/me", headers=storefront(identity, account))
    staff = await identity.client.get("/storefront/me", headers=identity.owner_of(account))
    removed = await identity.client.get("/storefront/me", headers=contact_caller(identity, account, contact))

    for response in (anonymous, removed):
        assert_problem(response, 401)
    # Staff are never storefront callers (the gateway never sends one there): the wrong kind, not signed out.
    assert_problem(staff, 403)


async def test_a_contact_of_another_company_is_not_known_on_this_storefront(identity: Identity) -> None:
    ours = await identity.signup(companyName="Ours")
    theirs = await identity.signup(companyName="Theirs")
    _, their_contact = await customer_with_contact(identity, theirs)
    # Their contact's principal, presented on our storefront.
    headers = contact_caller(identity, ours, their_contact)

    assert_problem(await identity.client.get("/storefront/me", headers=headers), 401)


async def test_internal_principal_lookup_answers_with_the_current_entry_and_heals_it(identity: Identity) -> None:
    account = await identity.signup()
    customer, contact = await customer_with_contact(identity, account, role="ADMIN")
    await identity.redis.delete(f"{identity.platform.namespace}:principal:{account['membershipId']}")

    staff = await identity.client.get(
        f"/internal/principals/{account['membershipId']}", headers=identity.anonymous(internal=True)
    )
    as_contact = await identity.client.get(
        f"/internal/principals/{contact['id']}", headers=identity.anonymous(internal=True)
    )
    as_customer = await identity.client.get(
        f"/internal/principals/{customer['id']}", headers=identity.anonymous(internal=True)
    )
    unknown = await identity.client.get(
        f"/internal/principals/{uuid.uuid4()}", headers=identity.anonymous(internal=True)
    )

    assert staff.json() == {
        "ref": account["membershipId"],
        "type": "user",
        "id": account["user"]["id"],
        "companyId": account["company"]["id"],
        "role": "OWNER",
        "customerId": None,
        "version": 1,
    }
    assert await principal_entry(identity, account["membershipId"]) == staff.json()
    assert (as_contact.json()["type"], as_contact.json()["role"]) == ("contact", "ADMIN")
    assert (as_customer.json()["type"], as_customer.json()["customerId"]) == ("customer", customer["id"])
    assert_problem(unknown, 404)


async def test_staff_signup_and_login_publish_the_members_principal(identity: Identity) -> None:
    account = await identity.signup(password="staff-password-1")
    assert (await principal_entry(identity, account["membershipId"]) or {}).get("role") == "OWNER"
    await identity.redis.delete(f"{identity.platform.namespace}:principal:{account['membershipId']}")

    response = await identity.client.post(
        "/api/v1/auth/login",
        json={"email": account["user"]["email"], "password": "staff-password-1"},
        headers=identity.anonymous(),
    )

    assert response.status_code == 200
    assert response.json()["membershipId"] == account["membershipId"]
    assert (await principal_entry(identity, account["membershipId"]) or {}).get("id") == account["user"]["id"]
