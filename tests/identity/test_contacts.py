"""Customer contacts from the dashboard, the API and the storefront: roles, duplicates, removal, sessions."""

import asyncio
import uuid
from typing import Any

import pytest

from tests.identity.conftest import Identity
from tests.identity.people import (
    api_key,
    assert_problem,
    contact_body,
    contact_caller,
    create_contact,
    create_customer,
    events_after,
    get_json,
    primary_caller,
    principal_entry,
    principal_key,
    statements,
)

DUPLICATE = "A contact with this email already exists for this customer."
STOREFRONT = "/storefront/contacts"


def contacts_path(customer: dict[str, Any]) -> str:
    return f"/api/v1/customers/{customer['id']}/contacts"


async def contact_items(identity: Identity, headers: dict[str, str], customer: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await get_json(identity, contacts_path(customer), headers))["items"]
    return items


async def test_adding_a_contact_gives_them_a_pending_sign_in_with_their_role(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)

    response = await identity.client.post(
        contacts_path(customer),
        json={"email": " AP.Clerk@Acme.example", "name": "  Avery Clerk ", "role": "VIEWER"},
        headers=owner,
    )

    assert response.status_code == 201, response.text
    contact = response.json()
    assert set(contact) == {"id", "customerId", "email", "name", "role", "status", "createdAt"}
    assert contact["customerId"] == customer["id"]
    # Shown as typed, only the surrounding spaces gone.
    assert (contact["email"], contact["name"]) == ("AP.Clerk@Acme.example", "Avery Clerk")
    assert (contact["role"], contact["status"]) == ("VIEWER", "PENDING")
    assert await contact_items(identity, owner, customer) == [contact]


@pytest.mark.parametrize("name", [None, "", "   "])
async def test_a_contact_without_a_name_has_null(identity: Identity, name: str | None) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    body = {"email": "noname@acme.example", "role": "BUYER"} | ({} if name is None else {"name": name})

    response = await identity.client.post(contacts_path(customer), json=body, headers=owner)

    assert response.status_code == 201, response.text
    assert response.json()["name"] is None


async def test_adding_a_contact_raises_customer_contact_created(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    before = len(await identity.events(account))

    contact = await create_contact(identity, owner, customer, email="c@acme.example", name="Cam", role="ADMIN")

    [created] = await events_after(identity, account, before)
    assert created.type == "CustomerContactCreated"
    assert created.entity.model_dump() == {"type": "CustomerContact", "id": contact["id"], "version": 1}
    assert created.data == {
        "id": contact["id"],
        "customerId": customer["id"],
        "email": "c@acme.example",
        "name": "Cam",
        "role": "ADMIN",
    }
    assert (created.actor.type, str(created.actor.id)) == ("USER", account["user"]["id"])


async def test_the_contacts_panel_shows_the_primary_account_and_every_contact_in_order(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="owner@acme.example", name="Acme")
    contacts = [await create_contact(identity, owner, customer, role=role) for role in ("BUYER", "ADMIN", "VIEWER")]
    other = await create_customer(identity, owner)
    await create_contact(identity, owner, other)

    panel = await get_json(identity, contacts_path(customer), owner)

    assert panel == {
        "primary": {
            "id": customer["id"],
            "email": "owner@acme.example",
            "name": "Acme",
            "role": "ADMIN",
            "status": "PENDING",
        },
        "items": contacts,
        "nextCursor": None,
    }


async def test_a_duplicate_contact_email_under_one_customer_is_refused_whatever_its_case(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    existing = await create_contact(identity, owner, customer, email="Billing@Acme.example")
    before = len(await identity.events(account))

    response = await identity.client.post(
        contacts_path(customer), json=contact_body(email="billing@ACME.EXAMPLE"), headers=owner
    )

    problem = assert_problem(response, 409)
    assert problem["detail"] == DUPLICATE
    assert problem["errors"] == [{"field": "email", "message": DUPLICATE}]
    assert await contact_items(identity, owner, customer) == [existing]
    assert len(await identity.events(account)) == before


async def test_two_additions_of_one_email_at_once_make_one_contact(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)

    responses = await asyncio.gather(
        *(
            identity.client.post(contacts_path(customer), json=contact_body(email=email), headers=owner)
            for email in ("race@acme.example", "RACE@acme.example")
        )
    )

    assert sorted(response.status_code for response in responses) == [201, 409]
    assert len(await contact_items(identity, owner, customer)) == 1


async def test_the_customers_own_email_is_refused_for_a_contact(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="primary@acme.example")

    response = await identity.client.post(
        contacts_path(customer), json=contact_body(email="PRIMARY@acme.example"), headers=owner
    )

    assert assert_problem(response, 409)["errors"][0]["field"] == "email"
    assert await contact_items(identity, owner, customer) == []


async def test_the_same_email_may_be_a_contact_of_other_customers(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    acme = await create_customer(identity, owner, email="acme@acme.example")
    diner = await create_customer(identity, owner, email="billing@acme.example")
    elsewhere = await identity.signup(companyName="Elsewhere")
    their_customer = await create_customer(identity, identity.owner_of(elsewhere))

    await create_contact(identity, owner, acme, email="billing@blueplate.example")
    await create_contact(identity, owner, diner, email="billing@blueplate.example")
    await create_contact(identity, identity.owner_of(elsewhere), their_customer, email="billing@blueplate.example")
    # Another customer's primary email is independent too.
    await create_contact(identity, owner, acme, email="billing@acme.example")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "role": "BUYER"}, "email"),
        ({"email": "a@acme.example", "name": "x" * 101, "role": "BUYER"}, "name"),
        ({"email": "a@acme.example", "role": "OWNER"}, "role"),
        ({"email": "a@acme.example", "role": "buyer"}, "role"),
        ({"email": "a@acme.example"}, "role"),
        ({"role": "BUYER"}, "email"),
    ],
)
async def test_bad_contact_input_is_refused_and_nothing_is_created(
    identity: Identity, body: dict[str, str], field: str
) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    before = len(await identity.events(account))

    response = await identity.client.post(contacts_path(customer), json=body, headers=owner)

    assert [error["field"] for error in assert_problem(response, 422)["errors"]] == [field]
    assert await contact_items(identity, owner, customer) == []
    assert len(await identity.events(account)) == before


async def test_a_role_change_is_announced_and_reaches_the_principal_directory(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    contact = await create_contact(identity, owner, customer, email="r@acme.example", role="BUYER")
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"{contacts_path(customer)}/{contact['id']}", json={"role": "VIEWER"}, headers=owner
    )

    assert response.status_code == 200, response.text
    assert response.json() == contact | {"role": "VIEWER"}
    assert await contact_items(identity, owner, customer) == [contact | {"role": "VIEWER"}]
    [changed] = await events_after(identity, account, before)
    assert changed.type == "CustomerContactRoleChanged"
    assert changed.entity.model_dump() == {"type": "CustomerContact", "id": contact["id"], "version": 2}
    assert changed.data == {
        "id": contact["id"],
        "customerId": customer["id"],
        "email": "r@acme.example",
        "fromRole": "BUYER",
        "toRole": "VIEWER",
    }
    assert (changed.actor.type, str(changed.actor.id)) == ("USER", account["user"]["id"])
    assert await principal_entry(identity, contact["id"]) == {
        "ref": contact["id"],
        "type": "contact",
        "id": contact["id"],
        "companyId": account["company"]["id"],
        "role": "VIEWER",
        "customerId": customer["id"],
        "version": 2,
    }


async def test_the_same_role_again_changes_nothing(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    contact = await create_contact(identity, owner, customer, role="BUYER")
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"{contacts_path(customer)}/{contact['id']}", json={"role": "BUYER"}, headers=owner
    )

    assert response.json() == contact
    assert len(await identity.events(account)) == before
    assert await principal_entry(identity, contact["id"]) is None


async def test_renaming_a_contact_raises_customer_contact_updated_and_null_clears_the_name(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    contact = await create_contact(identity, owner, customer, name="Old", role="BUYER")
    path = f"{contacts_path(customer)}/{contact['id']}"
    before = len(await identity.events(account))

    renamed = await identity.client.patch(path, json={"name": " New "}, headers=owner)
    role_only = await identity.client.patch(path, json={"role": "ADMIN"}, headers=owner)
    cleared = await identity.client.patch(path, json={"name": None}, headers=owner)

    assert renamed.json()["name"] == "New"
    assert role_only.json()["name"] == "New"
    assert cleared.json() == contact | {"name": None, "role": "ADMIN"}
    events = await events_after(identity, account, before)
    assert [event.type for event in events] == [
        "CustomerContactUpdated",
        "CustomerContactRoleChanged",
        "CustomerContactUpdated",
    ]
    assert events[0].data == {"id": contact["id"], "customerId": customer["id"], "name": "New"}
    assert events[2].data == {"id": contact["id"], "customerId": customer["id"], "name": None}


@pytest.mark.parametrize(("body", "field"), [({"role": "OWNER"}, "role"), ({"name": "x" * 101}, "name")])
async def test_bad_contact_edits_are_refused_and_nothing_changes(
    identity: Identity, body: dict[str, str], field: str
) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    contact = await create_contact(identity, owner, customer)

    response = await identity.client.patch(f"{contacts_path(customer)}/{contact['id']}", json=body, headers=owner)

    assert [error["field"] for error in assert_problem(response, 422)["errors"]] == [field]
    assert await contact_items(identity, owner, customer) == [contact]


async def test_removing_a_contact_deletes_only_them_and_ends_their_session(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    leaving = await create_contact(identity, owner, customer, email="leaving@acme.example", role="BUYER")
    staying = await create_contact(identity, owner, customer)
    # Their signed-in session has an entry in the principal directory.
    await identity.redis.set(principal_key(identity, leaving["id"]), "{}")
    before = len(await identity.events(account))

    response = await identity.client.delete(f"{contacts_path(customer)}/{leaving['id']}", headers=owner)

    assert response.status_code == 204
    assert await contact_items(identity, owner, customer) == [staying]
    assert (await get_json(identity, f"/api/v1/customers/{customer['id']}", owner))["contactCount"] == 1
    assert await principal_entry(identity, leaving["id"]) is None
    [removed] = await events_after(identity, account, before)
    assert removed.type == "CustomerContactRemoved"
    assert removed.entity.model_dump() == {"type": "CustomerContact", "id": leaving["id"], "version": 2}
    assert removed.data == {
        "id": leaving["id"],
        "customerId": customer["id"],
        "email": "leaving@acme.example",
        "role": "BUYER",
    }
    # Their next storefront request is refused: the record is gone.
    gone = await identity.client.get("/storefront/addresses", headers=contact_caller(identity, account, leaving))
    assert_problem(gone, 401)


async def test_another_customers_contact_is_not_found_under_this_customer(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    other = await create_customer(identity, owner)
    their_contact = await create_contact(identity, owner, other, role="BUYER")
    path = f"{contacts_path(customer)}/{their_contact['id']}"

    assert_problem(await identity.client.patch(path, json={"role": "ADMIN"}, headers=owner), 404)
    assert_problem(await identity.client.delete(path, headers=owner), 404)
    assert await contact_items(identity, owner, other) == [their_contact]


async def test_another_companys_customer_and_contact_are_not_found_on_every_endpoint(identity: Identity) -> None:
    ours = await identity.signup(companyName="Ours")
    theirs = await identity.signup(companyName="Theirs")
    their_owner = identity.owner_of(theirs)
    their_customer = await create_customer(identity, their_owner)
    their_contact = await create_contact(identity, their_owner, their_customer, role="BUYER")
    our_customer = await create_customer(identity, identity.owner_of(ours))
    owner = identity.owner_of(ours)
    before = len(await identity.events(ours)) + len(await identity.events(theirs))

    for path in [contacts_path(their_customer), contacts_path(our_customer)]:
        contact_path = f"{path}/{their_contact['id']}"
        for response in [
            await identity.client.patch(contact_path, json={"role": "ADMIN"}, headers=owner),
            await identity.client.delete(contact_path, headers=owner),
        ]:
            assert_problem(response, 404)
    assert_problem(await identity.client.get(contacts_path(their_customer), headers=owner), 404)
    assert_problem(await identity.client.post(contacts_path(their_customer), json=contact_body(), headers=owner), 404)
    assert await contact_items(identity, their_owner, their_customer) == [their_contact]
    assert len(await identity.events(ours)) + len(await identity.events(theirs)) == before


async def test_api_keys_need_customers_read_to_list_and_customers_write_to_change(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    contact = await create_contact(identity, owner, customer, role="BUYER")
    reader = api_key(identity, account, "customers:read")
    writer = api_key(identity, account, "customers:write")
    stranger = api_key(identity, account, "orders:write")
    path = f"{contacts_path(customer)}/{contact['id']}"

    assert (await get_json(identity, contacts_path(customer), reader))["items"] == [contact]
    assert_problem(await identity.client.get(contacts_path(customer), headers=stranger), 403)
    for headers in [reader, stranger]:
        assert_problem(await identity.client.post(contacts_path(customer), json=contact_body(), headers=headers), 403)
        assert_problem(await identity.client.patch(path, json={"role": "ADMIN"}, headers=headers), 403)
        assert_problem(await identity.client.delete(path, headers=headers), 403)
    assert await contact_items(identity, owner, customer) == [contact]
    before = len(await identity.events(account))

    added = await create_contact(identity, writer, customer)
    changed = await identity.client.patch(path, json={"role": "ADMIN"}, headers=writer)
    removed = await identity.client.delete(f"{contacts_path(customer)}/{added['id']}", headers=writer)

    assert changed.status_code == 200
    assert removed.status_code == 204
    events = await events_after(identity, account, before)
    assert [event.type for event in events] == [
        "CustomerContactCreated",
        "CustomerContactRoleChanged",
        "CustomerContactRemoved",
    ]
    assert all(event.actor.type == "SYSTEM" and event.actor.api_key_id is not None for event in events)


# Storefront: ADMIN contacts and the primary account manage their own customer's contacts.


@pytest.mark.parametrize("caller", ["primary", "admin contact"])
async def test_storefront_admins_manage_their_own_contacts(identity: Identity, caller: str) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="primary@acme.example")
    admin = await create_contact(identity, owner, customer, role="ADMIN")
    headers = (
        primary_caller(identity, account, customer) if caller == "primary" else contact_caller(identity, account, admin)
    )
    before = len(await identity.events(account))

    added = await identity.client.post(STOREFRONT, json={"email": "new@acme.example", "role": "BUYER"}, headers=headers)
    assert added.status_code == 201, added.text
    new = added.json()
    changed = await identity.client.patch(f"{STOREFRONT}/{new['id']}", json={"role": "VIEWER"}, headers=headers)
    panel = await get_json(identity, STOREFRONT, headers)
    removed = await identity.client.delete(f"{STOREFRONT}/{new['id']}", headers=headers)

    assert new["customerId"] == customer["id"]
    assert changed.json()["role"] == "VIEWER"
    assert panel["primary"]["email"] == "primary@acme.example"
    assert [item["id"] for item in panel["items"]] == [admin["id"], new["id"]]
    assert removed.status_code == 204
    assert await contact_items(identity, owner, customer) == [admin]
    events = await events_after(identity, account, before)
    assert [event.type for event in events] == [
        "CustomerContactCreated",
        "CustomerContactRoleChanged",
        "CustomerContactRemoved",
    ]
    actor_id = customer["id"] if caller == "primary" else admin["id"]
    for event in events:
        assert (event.actor.type, str(event.actor.id)) == ("CUSTOMER", actor_id)
    assert events[1].data | {"id": None} == {
        "id": None,
        "customerId": customer["id"],
        "email": "new@acme.example",
        "fromRole": "BUYER",
        "toRole": "VIEWER",
    }


@pytest.mark.parametrize("role", ["BUYER", "VIEWER"])
async def test_storefront_buyers_and_viewers_cannot_see_or_manage_contacts(identity: Identity, role: str) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    caller = await create_contact(identity, owner, customer, role=role)
    other = await create_contact(identity, owner, customer, role="VIEWER")
    headers = contact_caller(identity, account, caller)
    before = len(await identity.events(account))

    for response in [
        await identity.client.get(STOREFRONT, headers=headers),
        await identity.client.post(STOREFRONT, json=contact_body(), headers=headers),
        await identity.client.patch(f"{STOREFRONT}/{other['id']}", json={"role": "ADMIN"}, headers=headers),
        await identity.client.patch(f"{STOREFRONT}/{caller['id']}", json={"role": "ADMIN"}, headers=headers),
        await identity.client.delete(f"{STOREFRONT}/{other['id']}", headers=headers),
    ]:
        assert_problem(response, 403)
    assert await contact_items(identity, owner, customer) == [caller, other]
    assert len(await identity.events(account)) == before


async def test_the_role_identity_holds_wins_over_the_one_in_the_storefront_context(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    admin = await create_contact(identity, owner, customer, role="ADMIN")
    demoted = await identity.client.patch(
        f"{contacts_path(customer)}/{admin['id']}", json={"role": "BUYER"}, headers=owner
    )
    assert demoted.status_code == 200

    # A session still claiming ADMIN: the demotion applies on this very next request.
    response = await identity.client.post(
        STOREFRONT, json=contact_body(), headers=contact_caller(identity, account, admin)
    )

    assert_problem(response, 403)
    assert await contact_items(identity, owner, customer) == [admin | {"role": "BUYER"}]


async def test_a_storefront_admin_cannot_remove_themselves_or_change_their_own_role(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    admin = await create_contact(identity, owner, customer, role="ADMIN", name="Me")
    headers = contact_caller(identity, account, admin)
    before = len(await identity.events(account))

    removal = await identity.client.delete(f"{STOREFRONT}/{admin['id']}", headers=headers)
    demotion = await identity.client.patch(f"{STOREFRONT}/{admin['id']}", json={"role": "BUYER"}, headers=headers)
    rename = await identity.client.patch(f"{STOREFRONT}/{admin['id']}", json={"name": "Myself"}, headers=headers)

    assert "cannot remove yourself" in assert_problem(removal, 409)["detail"]
    assert "cannot change your own role" in assert_problem(demotion, 409)["detail"]
    assert rename.status_code == 200
    assert await contact_items(identity, owner, customer) == [admin | {"name": "Myself"}]
    assert [event.type for event in await events_after(identity, account, before)] == ["CustomerContactUpdated"]


async def test_another_customers_contact_is_not_found_on_the_storefront(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    other = await create_customer(identity, owner)
    their_contact = await create_contact(identity, owner, other, role="BUYER")
    elsewhere = await identity.signup(companyName="Elsewhere")
    foreign_customer = await create_customer(identity, identity.owner_of(elsewhere))
    foreign_contact = await create_contact(identity, identity.owner_of(elsewhere), foreign_customer, role="BUYER")
    headers = primary_caller(identity, account, customer)

    for contact_id in [their_contact["id"], foreign_contact["id"], other["id"]]:
        assert_problem(
            await identity.client.patch(f"{STOREFRONT}/{contact_id}", json={"role": "ADMIN"}, headers=headers), 404
        )
        assert_problem(await identity.client.delete(f"{STOREFRONT}/{contact_id}", headers=headers), 404)
    panel = await get_json(identity, STOREFRONT, headers)
    assert panel["items"] == []
    assert await contact_items(identity, owner, other) == [their_contact]


async def test_a_storefront_duplicate_or_primary_email_is_refused_too(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="primary@acme.example")
    existing = await create_contact(identity, owner, customer, email="clerk@acme.example")
    headers = primary_caller(identity, account, customer)

    duplicate = await identity.client.post(STOREFRONT, json=contact_body(email="CLERK@acme.example"), headers=headers)
    primary = await identity.client.post(STOREFRONT, json=contact_body(email="primary@acme.example"), headers=headers)
    bad = await identity.client.post(STOREFRONT, json=contact_body(role="SUPERUSER"), headers=headers)

    assert assert_problem(duplicate, 409)["detail"] == DUPLICATE
    assert_problem(primary, 409)
    assert_problem(bad, 422)
    assert await contact_items(identity, owner, customer) == [existing]


async def test_the_storefront_contacts_need_a_signed_in_account(identity: Identity) -> None:
    account = await identity.signup()
    company_id = uuid.UUID(account["company"]["id"])

    anonymous = await identity.client.get(STOREFRONT, headers=identity.anonymous(company_id=company_id))
    staff = await identity.client.get(STOREFRONT, headers=identity.owner_of(account))

    assert_problem(anonymous, 401)
    # Staff are never storefront callers (the gateway never sends one there): the wrong kind, not signed out.
    assert_problem(staff, 403)


async def test_adding_a_contact_runs_only_the_statements_it_needs(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    await create_contact(identity, owner, customer, email="first@acme.example")

    with statements(identity) as added:
        await create_contact(identity, owner, customer, email="second@acme.example")

    # The customer read once, locked; no pre-check of the email (the unique constraint refuses a duplicate).
    assert added == ["SELECT memberships", "SELECT customers", "INSERT customer_contacts", "INSERT outbox"]


async def test_each_event_about_a_contact_is_one_version_of_it(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    contact = await create_contact(identity, owner, customer, role="BUYER", name="Old")
    before = len(await identity.events(account))

    # A role and a name changed at once are two events: two versions, so a consumer keeping only the
    # newest per contact never mistakes one for the other.
    changed = await identity.client.patch(
        f"{contacts_path(customer)}/{contact['id']}", json={"role": "VIEWER", "name": "New"}, headers=owner
    )
    removed = await identity.client.delete(f"{contacts_path(customer)}/{contact['id']}", headers=owner)

    assert (changed.status_code, removed.status_code) == (200, 204)
    events = await events_after(identity, account, before)
    assert [(event.type, event.entity.version) for event in events] == [
        ("CustomerContactRoleChanged", 2),
        ("CustomerContactUpdated", 3),
        ("CustomerContactRemoved", 4),
    ]
