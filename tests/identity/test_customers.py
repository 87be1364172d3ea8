"""Customers from the dashboard and the API: create, search, pages, view, edit, delete, maxCustomers."""

import asyncio
import uuid
from typing import Any

import pytest

from contracts.identity import StaffRole
from tests.identity.conftest import Identity
from tests.identity.people import (
    add_staff,
    api_key,
    assert_problem,
    contact_caller,
    create_address,
    create_contact,
    create_customer,
    customer_body,
    events_after,
    get_json,
    primary_caller,
    principal_entry,
    principal_key,
    remaining_children,
    statements,
)

CUSTOMERS = "/api/v1/customers"


async def customer_list(identity: Identity, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await get_json(identity, f"{CUSTOMERS}?limit=200{query}", headers))["items"]
    return items


async def test_creating_a_customer_keeps_the_email_as_typed_and_a_pending_primary_account(
    identity: Identity,
) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)

    response = await identity.client.post(
        CUSTOMERS, json={"email": "  Orders@Blue-Plate.example ", "name": "  Blue Plate Diner "}, headers=owner
    )

    assert response.status_code == 201, response.text
    customer = response.json()
    assert set(customer) == {"id", "email", "name", "status", "contactCount", "createdAt", "updatedAt"}
    assert customer["email"] == "Orders@Blue-Plate.example"
    assert customer["name"] == "Blue Plate Diner"
    assert customer["status"] == "PENDING"
    assert customer["contactCount"] == 0
    assert await get_json(identity, f"{CUSTOMERS}/{customer['id']}", owner) == customer
    assert [listed["email"] for listed in await customer_list(identity, owner)] == ["Orders@Blue-Plate.example"]


async def test_creating_a_customer_raises_customer_created_by_the_staff_member(identity: Identity) -> None:
    account = await identity.signup()
    before = len(await identity.events(account))

    customer = await create_customer(identity, identity.owner_of(account), email="a@b.example", name="Acme")

    [created] = await events_after(identity, account, before)
    assert created.type == "CustomerCreated"
    assert created.company_id == uuid.UUID(account["company"]["id"])
    assert created.entity.model_dump() == {"type": "Customer", "id": customer["id"], "version": 1}
    assert created.data == {"id": customer["id"], "email": "a@b.example", "name": "Acme"}
    assert created.actor.type == "USER"
    assert str(created.actor.id) == account["user"]["id"]


async def test_a_customer_reads_active_once_its_primary_account_has_set_a_password(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="diner@example.com")

    setup = await identity.client.post(
        "/storefront/setup-password",
        json={"email": "diner@example.com", "password": "a long password", "confirmPassword": "a long password"},
        headers=identity.anonymous(company_id=uuid.UUID(account["company"]["id"])),
    )

    assert setup.status_code == 200, setup.text
    assert (await get_json(identity, f"{CUSTOMERS}/{customer['id']}", owner))["status"] == "ACTIVE"
    contacts = await get_json(identity, f"{CUSTOMERS}/{customer['id']}/contacts", owner)
    assert contacts["primary"]["status"] == "ACTIVE"


async def test_the_customer_shows_how_many_contacts_it_has(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    other = await create_customer(identity, owner)
    await create_contact(identity, owner, customer)
    await create_contact(identity, owner, customer)

    one = await get_json(identity, f"{CUSTOMERS}/{customer['id']}", owner)
    listed = {item["id"]: item["contactCount"] for item in await customer_list(identity, owner)}

    assert one["contactCount"] == 2
    assert listed == {customer["id"]: 2, other["id"]: 0}


async def test_the_list_is_newest_first_in_cursor_pages(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    created = [await create_customer(identity, owner) for _ in range(5)]
    newest_first = [customer["id"] for customer in reversed(created)]

    first = await get_json(identity, f"{CUSTOMERS}?limit=2", owner)
    second = await get_json(identity, f"{CUSTOMERS}?limit=2&cursor={first['nextCursor']}", owner)
    third = await get_json(identity, f"{CUSTOMERS}?limit=2&cursor={second['nextCursor']}", owner)

    assert [item["id"] for item in first["items"] + second["items"] + third["items"]] == newest_first
    assert first["nextCursor"] is not None
    assert third["nextCursor"] is None


async def test_a_forged_cursor_is_refused(identity: Identity) -> None:
    account = await identity.signup()

    response = await identity.client.get(f"{CUSTOMERS}?cursor=not-a-cursor", headers=identity.owner_of(account))

    assert assert_problem(response, 400)["errors"][0]["field"] == "cursor"


async def test_search_matches_part_of_the_name_or_email_in_any_letter_case(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    diner = await create_customer(identity, owner, email="orders@blueplate.example", name="Blue Plate Diner")
    market = await create_customer(identity, owner, email="buyer@corner.example", name="Corner Market")
    await create_customer(identity, owner, email="x@other.example", name="Unrelated")

    by_name = await customer_list(identity, owner, "&q=PLATE%20d")
    by_email = await customer_list(identity, owner, "&q=CORNER.EX")
    both = await customer_list(identity, owner, "&q=e")
    nothing = await customer_list(identity, owner, "&q=zzz")

    assert [item["id"] for item in by_name] == [diner["id"]]
    assert [item["id"] for item in by_email] == [market["id"]]
    assert len(both) == 3
    assert nothing == []


async def test_search_takes_wildcard_characters_literally(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    percent = await create_customer(identity, owner, name="100% Organic")
    await create_customer(identity, owner, name="1000 Organic")
    underscore = await create_customer(identity, owner, email="a_b@example.com")
    await create_customer(identity, owner, email="axb@example.com")

    assert [item["id"] for item in await customer_list(identity, owner, "&q=0%25")] == [percent["id"]]
    assert [item["id"] for item in await customer_list(identity, owner, "&q=a_b")] == [underscore["id"]]


async def test_a_duplicate_email_in_the_company_is_refused_whatever_its_case(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    await create_customer(identity, owner, email="Orders@Acme.example")
    before = len(await identity.events(account))

    response = await identity.client.post(CUSTOMERS, json=customer_body(email="ORDERS@acme.EXAMPLE"), headers=owner)

    problem = assert_problem(response, 409)
    assert problem["errors"] == [{"field": "email", "message": "A customer with this email already exists."}]
    assert [listed["email"] for listed in await customer_list(identity, owner)] == ["Orders@Acme.example"]
    assert len(await identity.events(account)) == before


async def test_two_creations_with_one_email_at_once_make_one_customer(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)

    responses = await asyncio.gather(
        *(
            identity.client.post(CUSTOMERS, json=customer_body(email=f"{case}@race.example"), headers=owner)
            for case in ("same", "SAME", "Same")
        )
    )

    assert sorted(response.status_code for response in responses) == [201, 409, 409]
    assert len(await customer_list(identity, owner)) == 1


async def test_a_refused_duplicate_takes_no_seat_under_the_plan(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    await create_customer(identity, owner, email="orders@acme.example")

    response = await identity.client.post(CUSTOMERS, json=customer_body(email="orders@acme.example"), headers=owner)

    assert assert_problem(response, 409)["errors"][0]["field"] == "email"
    usage = await get_json(identity, "/api/v1/subscription", owner)
    assert usage["usage"]["customers"] == 1


async def test_creating_a_customer_runs_only_the_statements_it_needs(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    key = api_key(identity, account, "customers:write")
    await create_customer(identity, owner)

    with statements(identity) as by_staff:
        await create_customer(identity, owner)
    with statements(identity) as by_key:
        await create_customer(identity, key)

    # No pre-check of the email (the unique constraint refuses a duplicate), no count under a lock (the
    # counter's conditional UPDATE is the limit), no re-read for the answer.
    written = ["INSERT customers", "UPDATE company_counters", "INSERT outbox"]
    assert by_staff == ["SELECT memberships", *written]
    assert by_key == written


async def test_the_same_email_may_be_a_customer_of_another_company(identity: Identity) -> None:
    ours = await identity.signup(companyName="Ours")
    theirs = await identity.signup(companyName="Theirs")
    await create_customer(identity, identity.owner_of(ours), email="orders@acme.example")

    response = await identity.client.post(
        CUSTOMERS, json=customer_body(email="orders@acme.example"), headers=identity.owner_of(theirs)
    )

    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "name": "Acme"}, "email"),
        ({"email": "a@b.example", "name": "x" * 101}, "name"),
        ({"email": "a@b.example", "name": "   "}, "name"),
        ({"name": "Acme"}, "email"),
        ({"email": "a@b.example"}, "name"),
    ],
)
async def test_bad_customer_input_is_refused_and_nothing_is_created(
    identity: Identity, body: dict[str, str], field: str
) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    before = len(await identity.events(account))

    response = await identity.client.post(CUSTOMERS, json=body, headers=owner)

    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert await customer_list(identity, owner) == []
    assert len(await identity.events(account)) == before


async def test_the_plan_limit_refuses_one_customer_too_many_and_contacts_stay_free(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    plans = await get_json(identity, "/api/v1/plans", identity.anonymous())
    [starter] = [plan for plan in plans["items"] if plan["code"] == "starter"]
    limit = starter["limits"]["maxCustomers"]
    customers = [await create_customer(identity, owner) for _ in range(limit)]
    before = len(await identity.events(account))

    refused = await identity.client.post(CUSTOMERS, json=customer_body(), headers=owner)

    problem = assert_problem(refused, 402)
    assert problem["detail"] == (
        f"Your Starter plan allows {limit} customers (maxCustomers). Upgrade your plan in Billing to add more."
    )
    assert len(await customer_list(identity, owner)) == limit
    assert len(await identity.events(account)) == before
    # Contacts never count: a full plan still takes them.
    await create_contact(identity, owner, customers[0])
    await create_contact(identity, owner, customers[0])
    usage = (await get_json(identity, "/api/v1/subscription", owner))["usage"]
    assert usage["customers"] == limit


async def test_creations_at_once_never_pass_the_plan_limit(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    for _ in range(48):
        await create_customer(identity, owner)

    # Two seats left under Starter's 50, five creations racing for them.
    responses = await asyncio.gather(
        *(identity.client.post(CUSTOMERS, json=customer_body(), headers=owner) for _ in range(5))
    )

    assert sorted(response.status_code for response in responses) == [201, 201, 402, 402, 402]
    assert len(await customer_list(identity, owner)) == 50
    assert (await get_json(identity, "/api/v1/subscription", owner))["usage"]["customers"] == 50


async def test_a_deleted_customer_frees_its_place_under_the_plan_limit(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customers = [await create_customer(identity, owner) for _ in range(50)]
    assert (await identity.client.post(CUSTOMERS, json=customer_body(), headers=owner)).status_code == 402

    deleted = await identity.client.delete(f"{CUSTOMERS}/{customers[0]['id']}", headers=owner)

    assert deleted.status_code == 204
    await create_customer(identity, owner)


async def test_editing_a_customer_changes_name_and_email_and_lists_the_changes(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="old@acme.example", name="Old Name")
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"{CUSTOMERS}/{customer['id']}", json={"email": "New@Acme.example", "name": "New Name"}, headers=owner
    )

    assert response.status_code == 200, response.text
    edited = response.json()
    assert (edited["email"], edited["name"]) == ("New@Acme.example", "New Name")
    assert edited["updatedAt"] >= customer["updatedAt"]
    assert await get_json(identity, f"{CUSTOMERS}/{customer['id']}", owner) == edited
    [updated] = await events_after(identity, account, before)
    assert updated.type == "CustomerUpdated"
    assert updated.entity.model_dump() == {"type": "Customer", "id": customer["id"], "version": 2}
    assert updated.data == {
        "id": customer["id"],
        "email": "New@Acme.example",
        "name": "New Name",
        "changes": ["email", "name"],
    }


async def test_editing_only_the_name_leaves_the_email_and_names_one_change(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="keep@acme.example")
    before = len(await identity.events(account))

    response = await identity.client.patch(f"{CUSTOMERS}/{customer['id']}", json={"name": "Renamed"}, headers=owner)

    assert response.json()["email"] == "keep@acme.example"
    [updated] = await events_after(identity, account, before)
    assert updated.data["changes"] == ["name"]


async def test_an_edit_that_changes_nothing_raises_no_event(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="same@acme.example", name="Same")
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"{CUSTOMERS}/{customer['id']}", json={"email": " same@acme.example ", "name": "Same"}, headers=owner
    )

    assert response.status_code == 200
    assert len(await identity.events(account)) == before


async def test_an_edit_to_the_same_email_in_another_case_respells_it(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="jane.doe@acme.example")
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"{CUSTOMERS}/{customer['id']}", json={"email": "Jane.Doe@Acme.example"}, headers=owner
    )

    assert response.status_code == 200, response.text
    assert response.json()["email"] == "Jane.Doe@Acme.example"
    [updated] = await events_after(identity, account, before)
    assert (updated.data["email"], updated.data["changes"]) == ("Jane.Doe@Acme.example", ["email"])


async def test_an_email_of_another_customer_is_refused_on_edit(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    await create_customer(identity, owner, email="taken@acme.example")
    customer = await create_customer(identity, owner, email="mine@acme.example", name="Mine")
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"{CUSTOMERS}/{customer['id']}", json={"email": "Taken@ACME.example", "name": "Renamed"}, headers=owner
    )

    assert assert_problem(response, 409)["errors"][0]["field"] == "email"
    unchanged = await get_json(identity, f"{CUSTOMERS}/{customer['id']}", owner)
    assert (unchanged["email"], unchanged["name"]) == ("mine@acme.example", "Mine")
    assert len(await identity.events(account)) == before


async def test_an_email_of_the_customers_own_contact_is_refused_on_edit(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="primary@acme.example")
    await create_contact(identity, owner, customer, email="clerk@acme.example")

    response = await identity.client.patch(
        f"{CUSTOMERS}/{customer['id']}", json={"email": "clerk@acme.example"}, headers=owner
    )

    assert assert_problem(response, 409)["errors"][0]["field"] == "email"
    assert (await get_json(identity, f"{CUSTOMERS}/{customer['id']}", owner))["email"] == "primary@acme.example"


@pytest.mark.parametrize(
    ("body", "field"), [({"email": "nope"}, "email"), ({"name": "x" * 101}, "name"), ({"name": ""}, "name")]
)
async def test_bad_edits_are_refused_and_nothing_changes(identity: Identity, body: dict[str, str], field: str) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)

    response = await identity.client.patch(f"{CUSTOMERS}/{customer['id']}", json=body, headers=owner)

    assert [error["field"] for error in assert_problem(response, 422)["errors"]] == [field]
    assert await get_json(identity, f"{CUSTOMERS}/{customer['id']}", owner) == customer


async def test_deleting_a_customer_deletes_its_contacts_and_addresses_and_ends_their_sessions(
    identity: Identity,
) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, email="gone@acme.example")
    kept = await create_customer(identity, owner)
    contacts = [await create_contact(identity, owner, customer) for _ in range(2)]
    kept_contact = await create_contact(identity, owner, kept)
    await create_address(identity, owner, customer)
    await create_address(identity, owner, kept)
    # Sessions of the customer and its contacts exist: sign-in would have written these entries.
    refs = [customer["id"], *(contact["id"] for contact in contacts), kept["id"], kept_contact["id"]]
    for ref in refs:
        await identity.redis.set(principal_key(identity, ref), "{}")
    before = len(await identity.events(account))

    response = await identity.client.delete(f"{CUSTOMERS}/{customer['id']}", headers=owner)

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await identity.client.get(f"{CUSTOMERS}/{customer['id']}", headers=owner), 404)
    assert_problem(await identity.client.get(f"{CUSTOMERS}/{customer['id']}/contacts", headers=owner), 404)
    assert await remaining_children(identity, account, customer["id"]) == (0, 0)
    assert await remaining_children(identity, account, kept["id"]) == (1, 1)
    for ref in refs[:3]:
        assert await principal_entry(identity, ref) is None
    for ref in refs[3:]:
        assert await principal_entry(identity, ref) is not None
    [deleted] = await events_after(identity, account, before)
    assert deleted.type == "CustomerDeleted"
    assert deleted.entity.model_dump() == {"type": "Customer", "id": customer["id"], "version": 2}
    assert deleted.data == {
        "id": customer["id"],
        "email": "gone@acme.example",
        "contactIds": sorted(contact["id"] for contact in contacts),
    }
    # The deleted customer's storefront session is refused on its next request.
    assert_problem(
        await identity.client.get("/storefront/addresses", headers=primary_caller(identity, account, customer)), 401
    )


async def test_another_companys_customer_is_not_found_on_every_endpoint(identity: Identity) -> None:
    ours = await identity.signup(companyName="Ours")
    theirs = await identity.signup(companyName="Theirs")
    their_customer = await create_customer(identity, identity.owner_of(theirs), name="Theirs Only")
    owner = identity.owner_of(ours)
    path = f"{CUSTOMERS}/{their_customer['id']}"

    for response in [
        await identity.client.get(path, headers=owner),
        await identity.client.patch(path, json={"name": "Hijacked"}, headers=owner),
        await identity.client.delete(path, headers=owner),
    ]:
        assert_problem(response, 404)
    assert await customer_list(identity, owner) == []
    assert await get_json(identity, path, identity.owner_of(theirs)) == their_customer


@pytest.mark.parametrize("role", [StaffRole.ADMIN, StaffRole.MEMBER])
async def test_every_staff_role_manages_customers(identity: Identity, role: StaffRole) -> None:
    account = await identity.signup()
    staff = await add_staff(identity, account, role)

    customer = await create_customer(identity, staff)
    edited = await identity.client.patch(f"{CUSTOMERS}/{customer['id']}", json={"name": "Edited"}, headers=staff)
    deleted = await identity.client.delete(f"{CUSTOMERS}/{customer['id']}", headers=staff)

    assert edited.status_code == 200
    assert deleted.status_code == 204


async def test_an_api_key_with_customers_read_reads_but_cannot_change(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    reader = api_key(identity, account, "customers:read")
    path = f"{CUSTOMERS}/{customer['id']}"

    assert (await get_json(identity, CUSTOMERS, reader))["items"] == [customer]
    assert await get_json(identity, path, reader) == customer
    for response in [
        await identity.client.post(CUSTOMERS, json=customer_body(), headers=reader),
        await identity.client.patch(path, json={"name": "Changed"}, headers=reader),
        await identity.client.delete(path, headers=reader),
    ]:
        assert "customers:write" in assert_problem(response, 403)["detail"]
    assert await get_json(identity, path, owner) == customer


async def test_an_api_key_with_customers_write_manages_customers_as_the_system(identity: Identity) -> None:
    account = await identity.signup()
    writer = api_key(identity, account, "customers:write")
    before = len(await identity.events(account))

    customer = await create_customer(identity, writer, email="via-api@acme.example")
    listed = await get_json(identity, CUSTOMERS, writer)
    edited = await identity.client.patch(f"{CUSTOMERS}/{customer['id']}", json={"name": "Edited"}, headers=writer)
    deleted = await identity.client.delete(f"{CUSTOMERS}/{customer['id']}", headers=writer)

    assert [item["id"] for item in listed["items"]] == [customer["id"]]
    assert edited.status_code == 200
    assert deleted.status_code == 204
    events = await events_after(identity, account, before)
    assert [event.type for event in events] == ["CustomerCreated", "CustomerUpdated", "CustomerDeleted"]
    for event in events:
        assert event.actor.type == "SYSTEM"
        assert event.actor.id is None
        assert event.actor.api_key_id is not None


async def test_an_api_key_without_a_customers_scope_is_refused(identity: Identity) -> None:
    account = await identity.signup()
    key = api_key(identity, account, "catalog:write", "orders:read")

    listed = await identity.client.get(CUSTOMERS, headers=key)
    created = await identity.client.post(CUSTOMERS, json=customer_body(), headers=key)

    assert "customers:read" in assert_problem(listed, 403)["detail"]
    assert_problem(created, 403)
    assert await customer_list(identity, identity.owner_of(account)) == []


async def test_storefront_accounts_and_anonymous_callers_cannot_use_the_staff_api(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    contact = await create_contact(identity, owner, customer, role="ADMIN")

    # Storefront accounts are the wrong kind of caller (403); an anonymous one is not signed in (401).
    for headers, status in [
        (primary_caller(identity, account, customer), 403),
        (contact_caller(identity, account, contact), 403),
        (identity.anonymous(company_id=uuid.UUID(account["company"]["id"])), 401),
    ]:
        assert_problem(await identity.client.get(CUSTOMERS, headers=headers), status)
        assert_problem(await identity.client.post(CUSTOMERS, json=customer_body(), headers=headers), status)
        assert_problem(await identity.client.delete(f"{CUSTOMERS}/{customer['id']}", headers=headers), status)
    assert len(await customer_list(identity, owner)) == 1


async def test_editing_a_customer_runs_only_the_statements_it_needs(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner, name="Old Name")

    with statements(identity) as renamed:
        response = await identity.client.patch(
            f"{CUSTOMERS}/{customer['id']}", json={"name": "New Name"}, headers=owner
        )

    assert response.json()["name"] == "New Name"
    # One read of the customer, locked, with its contact count for the answer; no re-read after the write.
    assert renamed == ["SELECT memberships", "SELECT customers", "UPDATE customers", "INSERT outbox"]
