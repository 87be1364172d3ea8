"""Customer addresses from the dashboard, the API and the storefront: the default, edits, deletion, events."""

import uuid
from typing import Any

import pytest

from tests.identity.conftest import Identity
from tests.identity.people import (
    address_body,
    api_key,
    assert_problem,
    contact_caller,
    create_address,
    create_contact,
    create_customer,
    events_after,
    get_json,
    primary_caller,
    statements,
)

STOREFRONT = "/storefront/addresses"


def addresses_path(customer: dict[str, Any]) -> str:
    return f"/api/v1/customers/{customer['id']}/addresses"


async def address_items(identity: Identity, headers: dict[str, str], customer: dict[str, Any]) -> list[dict[str, Any]]:
    page = await get_json(identity, addresses_path(customer), headers)
    assert page["nextCursor"] is None
    items: list[dict[str, Any]] = page["items"]
    return items


def snapshot(address: dict[str, Any]) -> dict[str, Any]:
    """What AddressCreated and AddressUpdated carry: the address without its timestamps."""
    return {key: value for key, value in address.items() if key not in ("createdAt", "updatedAt")}


async def test_the_first_address_is_the_default_even_when_not_asked(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)

    response = await identity.client.post(
        addresses_path(customer), json=address_body(isDefault=False, country=" gb "), headers=owner
    )

    assert response.status_code == 201, response.text
    address = response.json()
    assert address == {
        "id": address["id"],
        "customerId": customer["id"],
        "label": "Warehouse",
        "recipient": "Receiving dock",
        "line1": "1 Harbour Road",
        "line2": "Unit 4",
        "city": "Portsmouth",
        "region": "Hampshire",
        "postalCode": "PO1 3AX",
        "country": "GB",
        "phone": "+44 23 9200 0000",
        "isDefault": True,
        "createdAt": address["createdAt"],
        "updatedAt": address["updatedAt"],
    }
    assert await address_items(identity, owner, customer) == [address]


async def test_adding_an_address_raises_address_created_with_everything_orders_needs(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    before = len(await identity.events(account))

    address = await create_address(identity, owner, customer, label=" ", line2=None, region="", phone=None)

    assert (address["label"], address["line2"], address["region"], address["phone"]) == (None, None, None, None)
    [created] = await events_after(identity, account, before)
    assert created.type == "AddressCreated"
    assert created.entity.model_dump() == {"type": "Address", "id": address["id"], "version": 1}
    assert created.data == snapshot(address)
    assert (created.actor.type, str(created.actor.id)) == ("USER", account["user"]["id"])


async def test_later_addresses_are_not_the_default_and_list_after_it_in_creation_order(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    first = await create_address(identity, owner, customer, label="First")
    second = await create_address(identity, owner, customer, label="Second")
    third = await create_address(identity, owner, customer, label="Third")

    assert [first["isDefault"], second["isDefault"], third["isDefault"]] == [True, False, False]
    assert await address_items(identity, owner, customer) == [first, second, third]


async def test_a_new_default_unsets_the_previous_one_and_announces_both(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    first = await create_address(identity, owner, customer, label="First")
    second = await create_address(identity, owner, customer, label="Second")
    before = len(await identity.events(account))

    third = await create_address(identity, owner, customer, label="Third", isDefault=True)

    items = await address_items(identity, owner, customer)
    assert [item["id"] for item in items] == [third["id"], first["id"], second["id"]]
    assert [item["isDefault"] for item in items] == [True, False, False]
    events = await events_after(identity, account, before)
    assert [(event.type, event.entity.id) for event in events] == [
        ("AddressUpdated", first["id"]),
        ("AddressCreated", third["id"]),
    ]
    assert events[0].data == snapshot(first) | {"isDefault": False}


async def test_an_edit_changes_only_the_fields_sent_and_null_clears_optional_ones(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    address = await create_address(identity, owner, customer)
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"{addresses_path(customer)}/{address['id']}",
        json={"city": " Southampton ", "country": "ie", "line2": None, "phone": ""},
        headers=owner,
    )

    assert response.status_code == 200, response.text
    edited = response.json()
    expected = snapshot(address) | {"city": "Southampton", "country": "IE", "line2": None, "phone": None}
    assert snapshot(edited) == expected
    assert await address_items(identity, owner, customer) == [edited]
    [updated] = await events_after(identity, account, before)
    assert updated.type == "AddressUpdated"
    assert updated.data == expected


async def test_an_edit_that_changes_nothing_raises_no_event(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    address = await create_address(identity, owner, customer)
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"{addresses_path(customer)}/{address['id']}",
        json={"city": address["city"], "isDefault": True},
        headers=owner,
    )

    assert response.json() == address
    assert len(await identity.events(account)) == before


async def test_making_another_address_the_default_swaps_and_announces_both(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    first = await create_address(identity, owner, customer)
    second = await create_address(identity, owner, customer)
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"{addresses_path(customer)}/{second['id']}", json={"isDefault": True}, headers=owner
    )

    assert response.json()["isDefault"] is True
    items = await address_items(identity, owner, customer)
    assert [(item["id"], item["isDefault"]) for item in items] == [(second["id"], True), (first["id"], False)]
    events = await events_after(identity, account, before)
    assert [(event.type, event.entity.id, event.data["isDefault"]) for event in events] == [
        ("AddressUpdated", first["id"], False),
        ("AddressUpdated", second["id"], True),
    ]


async def test_the_default_cannot_simply_stop_being_the_default(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    address = await create_address(identity, owner, customer)
    other = await create_address(identity, owner, customer)
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"{addresses_path(customer)}/{address['id']}", json={"isDefault": False, "city": "Elsewhere"}, headers=owner
    )
    # Un-setting a non-default is no change at all.
    harmless = await identity.client.patch(
        f"{addresses_path(customer)}/{other['id']}", json={"isDefault": False}, headers=owner
    )

    assert assert_problem(response, 400)["errors"][0]["field"] == "isDefault"
    assert harmless.status_code == 200
    assert await address_items(identity, owner, customer) == [address, other]
    assert len(await identity.events(account)) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"line1": None}, "line1"),
        ({"city": None}, "city"),
        ({"isDefault": None}, "isDefault"),
        ({"country": "USA"}, "country"),
        ({"postalCode": "9" * 21}, "postalCode"),
        ({"line1": "  "}, "line1"),
    ],
)
async def test_bad_address_edits_are_refused_and_nothing_changes(
    identity: Identity, body: dict[str, Any], field: str
) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    address = await create_address(identity, owner, customer)

    response = await identity.client.patch(f"{addresses_path(customer)}/{address['id']}", json=body, headers=owner)

    assert [error["field"] for error in assert_problem(response, 422)["errors"]] == [field]
    assert await address_items(identity, owner, customer) == [address]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"country": "USA"}, "country"),
        ({"country": "U"}, "country"),
        ({"country": "1A"}, "country"),
        # Two letters, but no such country.
        ({"country": "ZZ"}, "country"),
        ({"country": ""}, "country"),
        ({"country": "ü1"}, "country"),
        ({"line1": ""}, "line1"),
        ({"line1": "x" * 201}, "line1"),
        ({"line2": "x" * 201}, "line2"),
        ({"city": "x" * 101}, "city"),
        ({"label": "x" * 101}, "label"),
        ({"recipient": "x" * 101}, "recipient"),
        ({"region": "x" * 101}, "region"),
        ({"postalCode": "9" * 21}, "postalCode"),
        ({"phone": "1" * 41}, "phone"),
        ({"isDefault": "sometimes"}, "isDefault"),
    ],
)
async def test_bad_addresses_are_refused_and_nothing_is_created(
    identity: Identity, overrides: dict[str, Any], field: str
) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    before = len(await identity.events(account))

    response = await identity.client.post(addresses_path(customer), json=address_body(**overrides), headers=owner)

    assert [error["field"] for error in assert_problem(response, 422)["errors"]] == [field]
    assert await address_items(identity, owner, customer) == []
    assert len(await identity.events(account)) == before


@pytest.mark.parametrize("missing", ["line1", "city", "postalCode", "country"])
async def test_an_address_without_a_required_field_is_refused(identity: Identity, missing: str) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    body = {key: value for key, value in address_body().items() if key != missing}

    response = await identity.client.post(addresses_path(customer), json=body, headers=owner)

    assert [error["field"] for error in assert_problem(response, 422)["errors"]] == [missing]
    assert await address_items(identity, owner, customer) == []


async def test_deleting_an_address_that_is_not_the_default_leaves_the_default(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    default = await create_address(identity, owner, customer)
    other = await create_address(identity, owner, customer)
    before = len(await identity.events(account))

    response = await identity.client.delete(f"{addresses_path(customer)}/{other['id']}", headers=owner)

    assert response.status_code == 204
    assert await address_items(identity, owner, customer) == [default]
    [deleted] = await events_after(identity, account, before)
    assert deleted.type == "AddressDeleted"
    assert deleted.entity.model_dump() == {"type": "Address", "id": other["id"], "version": 2}
    assert deleted.data == {"id": other["id"], "customerId": customer["id"]}


async def test_deleting_the_default_makes_the_oldest_remaining_address_the_default(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    oldest = await create_address(identity, owner, customer, label="Oldest")
    newer = await create_address(identity, owner, customer, label="Newer")
    default = await create_address(identity, owner, customer, label="Default", isDefault=True)
    before = len(await identity.events(account))

    response = await identity.client.delete(f"{addresses_path(customer)}/{default['id']}", headers=owner)

    assert response.status_code == 204
    items = await address_items(identity, owner, customer)
    assert [(item["id"], item["isDefault"]) for item in items] == [(oldest["id"], True), (newer["id"], False)]
    events = await events_after(identity, account, before)
    assert [(event.type, event.entity.id) for event in events] == [
        ("AddressDeleted", default["id"]),
        ("AddressUpdated", oldest["id"]),
    ]
    assert events[1].data == snapshot(oldest) | {"isDefault": True}


async def test_deleting_the_last_address_leaves_none(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    only = await create_address(identity, owner, customer)
    before = len(await identity.events(account))

    response = await identity.client.delete(f"{addresses_path(customer)}/{only['id']}", headers=owner)

    assert response.status_code == 204
    assert await address_items(identity, owner, customer) == []
    assert [event.type for event in await events_after(identity, account, before)] == ["AddressDeleted"]


async def test_another_customers_or_companys_addresses_are_not_found_on_every_endpoint(identity: Identity) -> None:
    ours = await identity.signup(companyName="Ours")
    theirs = await identity.signup(companyName="Theirs")
    owner = identity.owner_of(ours)
    our_customer = await create_customer(identity, owner)
    our_other = await create_customer(identity, owner)
    our_other_address = await create_address(identity, owner, our_other)
    their_customer = await create_customer(identity, identity.owner_of(theirs))
    their_address = await create_address(identity, identity.owner_of(theirs), their_customer)
    before = len(await identity.events(ours)) + len(await identity.events(theirs))

    for customer, address in [
        (our_customer, our_other_address),
        (our_customer, their_address),
        (their_customer, their_address),
    ]:
        path = f"{addresses_path(customer)}/{address['id']}"
        assert_problem(await identity.client.patch(path, json={"city": "Hijacked"}, headers=owner), 404)
        assert_problem(await identity.client.delete(path, headers=owner), 404)
    assert_problem(await identity.client.get(addresses_path(their_customer), headers=owner), 404)
    assert_problem(await identity.client.post(addresses_path(their_customer), json=address_body(), headers=owner), 404)
    assert len(await identity.events(ours)) + len(await identity.events(theirs)) == before
    assert await address_items(identity, owner, our_other) == [our_other_address]
    assert await address_items(identity, identity.owner_of(theirs), their_customer) == [their_address]


async def test_api_keys_need_customers_read_to_list_and_customers_write_to_change(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    address = await create_address(identity, owner, customer)
    reader = api_key(identity, account, "customers:read")
    writer = api_key(identity, account, "customers:write")
    stranger = api_key(identity, account, "catalog:write")
    path = f"{addresses_path(customer)}/{address['id']}"

    assert (await get_json(identity, addresses_path(customer), reader))["items"] == [address]
    assert_problem(await identity.client.get(addresses_path(customer), headers=stranger), 403)
    for headers in [reader, stranger]:
        assert_problem(await identity.client.post(addresses_path(customer), json=address_body(), headers=headers), 403)
        assert_problem(await identity.client.patch(path, json={"city": "Changed"}, headers=headers), 403)
        assert_problem(await identity.client.delete(path, headers=headers), 403)
    assert await address_items(identity, owner, customer) == [address]
    before = len(await identity.events(account))

    added = await create_address(identity, writer, customer)
    changed = await identity.client.patch(path, json={"city": "Changed"}, headers=writer)
    removed = await identity.client.delete(f"{addresses_path(customer)}/{added['id']}", headers=writer)

    assert changed.status_code == 200
    assert removed.status_code == 204
    events = await events_after(identity, account, before)
    assert [event.type for event in events] == ["AddressCreated", "AddressUpdated", "AddressDeleted"]
    assert all(event.actor.type == "SYSTEM" and event.actor.api_key_id is not None for event in events)


# Storefront: every role reads its customer's addresses; ADMIN contacts and the primary account change them.


@pytest.mark.parametrize("role", ["ADMIN", "BUYER", "VIEWER"])
async def test_every_storefront_role_reads_its_own_customers_addresses(identity: Identity, role: str) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    default = await create_address(identity, owner, customer, label="Default")
    other = await create_address(identity, owner, customer, label="Other")
    neighbour = await create_customer(identity, owner)
    await create_address(identity, owner, neighbour)
    contact = await create_contact(identity, owner, customer, role=role)

    page = await get_json(identity, STOREFRONT, contact_caller(identity, account, contact))

    assert page == {"items": [default, other], "nextCursor": None}


@pytest.mark.parametrize("caller", ["primary", "admin contact"])
async def test_storefront_admins_manage_their_own_addresses(identity: Identity, caller: str) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    admin = await create_contact(identity, owner, customer, role="ADMIN")
    headers = (
        primary_caller(identity, account, customer) if caller == "primary" else contact_caller(identity, account, admin)
    )
    before = len(await identity.events(account))

    first = (await identity.client.post(STOREFRONT, json=address_body(label="First"), headers=headers)).json()
    second = (await identity.client.post(STOREFRONT, json=address_body(label="Second"), headers=headers)).json()
    edited = await identity.client.patch(f"{STOREFRONT}/{second['id']}", json={"isDefault": True}, headers=headers)
    deleted = await identity.client.delete(f"{STOREFRONT}/{second['id']}", headers=headers)

    assert (first["customerId"], first["isDefault"], second["isDefault"]) == (customer["id"], True, False)
    assert edited.json()["isDefault"] is True
    assert deleted.status_code == 204
    # The deleted default's place goes back to the first address.
    items = await address_items(identity, owner, customer)
    assert [(item["id"], item["isDefault"]) for item in items] == [(first["id"], True)]
    events = await events_after(identity, account, before)
    assert [event.type for event in events] == [
        "AddressCreated",
        "AddressCreated",
        "AddressUpdated",
        "AddressUpdated",
        "AddressDeleted",
        "AddressUpdated",
    ]
    actor_id = customer["id"] if caller == "primary" else admin["id"]
    for event in events:
        assert (event.actor.type, str(event.actor.id)) == ("CUSTOMER", actor_id)


@pytest.mark.parametrize("role", ["BUYER", "VIEWER"])
async def test_storefront_buyers_and_viewers_cannot_change_addresses(identity: Identity, role: str) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    address = await create_address(identity, owner, customer)
    contact = await create_contact(identity, owner, customer, role=role)
    headers = contact_caller(identity, account, contact)
    before = len(await identity.events(account))

    for response in [
        await identity.client.post(STOREFRONT, json=address_body(), headers=headers),
        await identity.client.patch(f"{STOREFRONT}/{address['id']}", json={"city": "Changed"}, headers=headers),
        await identity.client.delete(f"{STOREFRONT}/{address['id']}", headers=headers),
    ]:
        assert_problem(response, 403)
    assert await address_items(identity, owner, customer) == [address]
    assert len(await identity.events(account)) == before


async def test_another_customers_address_is_not_found_on_the_storefront(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    other = await create_customer(identity, owner)
    their_address = await create_address(identity, owner, other)
    elsewhere = await identity.signup(companyName="Elsewhere")
    foreign_customer = await create_customer(identity, identity.owner_of(elsewhere))
    foreign_address = await create_address(identity, identity.owner_of(elsewhere), foreign_customer)
    headers = primary_caller(identity, account, customer)

    for address_id in [their_address["id"], foreign_address["id"]]:
        path = f"{STOREFRONT}/{address_id}"
        assert_problem(await identity.client.patch(path, json={"city": "Hijacked"}, headers=headers), 404)
        assert_problem(await identity.client.delete(path, headers=headers), 404)
    assert (await get_json(identity, STOREFRONT, headers))["items"] == []
    assert await address_items(identity, owner, other) == [their_address]


async def test_storefront_addresses_need_a_signed_in_account(identity: Identity) -> None:
    account = await identity.signup()
    company_id = uuid.UUID(account["company"]["id"])

    anonymous = await identity.client.get(STOREFRONT, headers=identity.anonymous(company_id=company_id))
    staff = await identity.client.post(STOREFRONT, json=address_body(), headers=identity.owner_of(account))

    assert_problem(anonymous, 401)
    # Staff are never storefront callers (the gateway never sends one there): the wrong kind, not signed out.
    assert_problem(staff, 403)


async def test_adding_an_address_runs_only_the_statements_it_needs(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    customer = await create_customer(identity, owner)
    await create_address(identity, owner, customer)

    with statements(identity) as added:
        await create_address(identity, owner, customer)

    # The customer read once, locked; its default address (none would make this the first); no count.
    assert added == ["SELECT memberships", "SELECT customers", "SELECT addresses", "INSERT addresses", "INSERT outbox"]
