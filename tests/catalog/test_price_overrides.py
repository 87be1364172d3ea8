"""Price overrides: one customer's own price for one product, checked against catalog's copy of the
company's customers (fed by identity's events), with the events every change raises."""

import uuid

from kit.events import Actor
from tests.catalog.support import (
    OVERRIDES,
    Catalog,
    assert_problem,
    customer_created,
    customer_deleted,
    customer_updated,
)
from tests.contracts.envelopes import OWNER


async def test_staff_sets_a_customer_price_and_it_reads_back_with_product_and_customer(catalog: Catalog) -> None:
    company_id = await catalog.new_company(currency="CAD")
    customer_id = await catalog.new_customer(company_id, "Blue Plate Diner")
    product = await catalog.create_product(company_id, sku="GLV-1", name="Gloves", unitPrice="12.00")
    user_id = uuid.uuid4()

    response = await catalog.client.post(
        OVERRIDES,
        json={"customerId": str(customer_id), "productId": product["id"], "unitPrice": "9.75"},
        headers=catalog.staff(company_id, "MEMBER", user_id),
    )

    assert response.status_code == 201, response.text
    override = response.json()
    assert {key: override[key] for key in override if key not in ("id", "createdAt", "updatedAt")} == {
        "customerId": str(customer_id),
        "productId": product["id"],
        "unitPrice": "9.75",
        "currency": "CAD",
        "productSku": "GLV-1",
        "productName": "Gloves",
        "listPrice": "12.00",
        "customerName": "Blue Plate Diner",
    }
    fetched = await catalog.client.get(f"{OVERRIDES}/{override['id']}", headers=catalog.staff(company_id))
    assert fetched.json() == override
    [event] = await catalog.events(company_id, "PriceOverrideSet")
    assert event.actor == Actor(type="USER", id=user_id)
    assert (event.entity.type, event.entity.id, event.entity.version) == ("PriceOverride", override["id"], 1)
    assert event.data == {
        "id": override["id"],
        "customerId": str(customer_id),
        "productId": product["id"],
        "unitPrice": "9.75",
        "currency": "CAD",
    }


async def test_a_second_override_for_the_same_pair_is_a_conflict_pointing_at_patch(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    first = await catalog.set_override(company_id, customer_id, product["id"], "5.00")

    response = await catalog.client.post(
        OVERRIDES,
        json={"customerId": str(customer_id), "productId": product["id"], "unitPrice": "4.00"},
        headers=catalog.staff(company_id),
    )

    body = assert_problem(response, 409)
    assert f"PATCH /api/v1/price-overrides/{first['id']}" in body["detail"]
    assert [o["unitPrice"] for o in await catalog.overrides(company_id)] == ["5.00"]
    assert len(await catalog.events(company_id, "PriceOverrideSet")) == 1


async def test_an_override_for_an_unknown_or_other_company_s_customer_or_product_is_not_found(
    catalog: Catalog,
) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    other = await catalog.new_company()
    other_customer = await catalog.new_customer(other)
    other_product = await catalog.create_product(other)

    cases = [
        (uuid.uuid4(), product["id"], "Customer not found."),
        (other_customer, product["id"], "Customer not found."),
        (customer_id, str(uuid.uuid4()), "Product not found."),
        (customer_id, other_product["id"], "Product not found."),
    ]
    for customer, product_id, detail in cases:
        response = await catalog.client.post(
            OVERRIDES,
            json={"customerId": str(customer), "productId": product_id, "unitPrice": "1.00"},
            headers=catalog.staff(company_id),
        )
        assert assert_problem(response, 404)["detail"] == detail

    assert await catalog.row_count("price_overrides", company_id) == 0
    assert await catalog.events(company_id, "PriceOverrideSet") == []


async def test_bad_prices_and_currencies_are_refused_and_nothing_is_set(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    base = {"customerId": str(customer_id), "productId": product["id"]}

    for price in ("-1.00", "free", "1.001", None):
        response = await catalog.client.post(
            OVERRIDES, json={**base, "unitPrice": price}, headers=catalog.staff(company_id)
        )
        assert_problem(response, 422, "unitPrice")
    wrong_currency = await catalog.client.post(
        OVERRIDES, json={**base, "unitPrice": "1.00", "currency": "EUR"}, headers=catalog.staff(company_id)
    )
    not_an_id = await catalog.client.post(
        OVERRIDES, json={**base, "customerId": "42", "unitPrice": "1.00"}, headers=catalog.staff(company_id)
    )

    assert_problem(wrong_currency, 400, "currency")
    assert_problem(not_an_id, 422, "customerId")
    assert await catalog.row_count("price_overrides", company_id) == 0


async def test_changing_a_price_raises_price_override_set_and_the_same_price_raises_nothing(
    catalog: Catalog,
) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    override = await catalog.set_override(company_id, customer_id, product["id"], "5.00")
    path = f"{OVERRIDES}/{override['id']}"

    changed = await catalog.client.patch(path, json={"unitPrice": "4.5"}, headers=catalog.staff(company_id))
    same = await catalog.client.patch(path, json={"unitPrice": "4.50"}, headers=catalog.staff(company_id))
    negative = await catalog.client.patch(path, json={"unitPrice": "-4"}, headers=catalog.staff(company_id))

    assert (changed.json()["unitPrice"], same.json()["unitPrice"]) == ("4.50", "4.50")
    assert changed.json()["updatedAt"] > override["updatedAt"]
    assert_problem(negative, 422, "unitPrice")
    events = await catalog.events(company_id, "PriceOverrideSet")
    assert [(e.data["unitPrice"], e.entity.version) for e in events] == [("5.00", 1), ("4.50", 2)]


async def test_removing_an_override_raises_price_override_removed(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    override = await catalog.set_override(company_id, customer_id, product["id"], "5.00")
    key_id = uuid.uuid4()

    removed = await catalog.client.delete(
        f"{OVERRIDES}/{override['id']}", headers=catalog.api_key(company_id, "catalog:write", key_id=key_id)
    )
    again = await catalog.client.delete(f"{OVERRIDES}/{override['id']}", headers=catalog.staff(company_id))

    assert removed.status_code == 204
    assert_problem(again, 404)
    assert await catalog.overrides(company_id) == []
    [event] = await catalog.events(company_id, "PriceOverrideRemoved")
    assert event.actor == Actor(type="SYSTEM", api_key_id=key_id)
    assert event.data == {"id": override["id"], "customerId": str(customer_id), "productId": product["id"]}
    assert event.entity.version == 2


async def test_list_filters_by_customer_and_product_and_pages_newest_first(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    alice, bob = await catalog.new_customer(company_id, "Alice"), await catalog.new_customer(company_id, "Bob")
    gloves, soap = await catalog.create_product(company_id), await catalog.create_product(company_id)
    made = [
        await catalog.set_override(company_id, customer, product["id"], "1.00")
        for customer in (alice, bob)
        for product in (gloves, soap)
    ]

    everything = await catalog.overrides(company_id)
    of_alice = await catalog.overrides(company_id, customerId=str(alice))
    of_soap = await catalog.overrides(company_id, productId=soap["id"])
    bob_soap = await catalog.overrides(company_id, customerId=str(bob), productId=soap["id"])
    first = await catalog.client.get(OVERRIDES, params={"limit": 3}, headers=catalog.staff(company_id))
    rest = await catalog.client.get(
        OVERRIDES, params={"limit": 3, "cursor": first.json()["nextCursor"]}, headers=catalog.staff(company_id)
    )

    ids = [o["id"] for o in reversed(made)]
    assert [o["id"] for o in everything] == ids
    assert {o["customerName"] for o in of_alice} == {"Alice"}
    assert len(of_alice) == 2
    assert {o["productId"] for o in of_soap} == {soap["id"]}
    assert [o["id"] for o in bob_soap] == [made[3]["id"]]
    assert [o["id"] for o in first.json()["items"] + rest.json()["items"]] == ids
    assert rest.json()["nextCursor"] is None
    other = await catalog.new_company()
    assert await catalog.overrides(other) == []


async def test_another_company_s_override_is_not_found_on_every_endpoint(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    override = await catalog.set_override(company_id, customer_id, product["id"], "5.00")
    other = catalog.staff(await catalog.new_company(), "OWNER")
    path = f"{OVERRIDES}/{override['id']}"

    assert_problem(await catalog.client.get(path, headers=other), 404)
    assert_problem(await catalog.client.patch(path, json={"unitPrice": "0.01"}, headers=other), 404)
    assert_problem(await catalog.client.delete(path, headers=other), 404)
    assert [o["unitPrice"] for o in await catalog.overrides(company_id)] == ["5.00"]


async def test_api_keys_read_with_catalog_read_and_set_prices_with_catalog_write(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    body = {"customerId": str(customer_id), "productId": product["id"], "unitPrice": "3.00"}

    read_only = await catalog.client.post(OVERRIDES, json=body, headers=catalog.api_key(company_id, "catalog:read"))
    listed = await catalog.client.get(OVERRIDES, headers=catalog.api_key(company_id, "catalog:read"))
    no_scope = await catalog.client.get(OVERRIDES, headers=catalog.api_key(company_id, "customers:read"))
    written = await catalog.client.post(OVERRIDES, json=body, headers=catalog.api_key(company_id, "catalog:write"))

    assert_problem(read_only, 403)
    assert listed.status_code == 200
    assert_problem(no_scope, 403)
    assert written.status_code == 201


async def test_customer_deleted_in_identity_takes_its_overrides_and_stays_deleted(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    leaving, staying = await catalog.new_customer(company_id), await catalog.new_customer(company_id)
    product = await catalog.create_product(company_id)
    gone = await catalog.set_override(company_id, leaving, product["id"], "5.00")
    await catalog.set_override(company_id, staying, product["id"], "6.00")
    deletion = customer_deleted(company_id, leaving, version=3)

    await catalog.deliver(deletion)
    # An update older than the deletion, arriving late (a retry), must not bring the customer back.
    await catalog.deliver(customer_updated(company_id, leaving, "Ghost", version=2))

    assert [o["customerId"] for o in await catalog.overrides(company_id)] == [str(staying)]
    [removed] = await catalog.events(company_id, "PriceOverrideRemoved")
    assert removed.data == {"id": gone["id"], "customerId": str(leaving), "productId": product["id"]}
    # Attributed to whoever deleted the customer, in that request.
    assert removed.actor == OWNER
    assert (removed.request_id, removed.ip_address) == (deletion.request_id, deletion.ip_address)
    refused = await catalog.client.post(
        OVERRIDES,
        json={"customerId": str(leaving), "productId": product["id"], "unitPrice": "1.00"},
        headers=catalog.staff(company_id),
    )
    assert assert_problem(refused, 404)["detail"] == "Customer not found."


async def test_customer_deleted_before_catalog_heard_of_it_cannot_be_created_later(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = uuid.uuid4()
    created = customer_created(company_id, customer_id, "Late")
    deleted = customer_deleted(company_id, customer_id, version=2)
    product = await catalog.create_product(company_id)

    await catalog.deliver(deleted)
    await catalog.deliver(created)

    response = await catalog.client.post(
        OVERRIDES,
        json={"customerId": str(customer_id), "productId": product["id"], "unitPrice": "1.00"},
        headers=catalog.staff(company_id),
    )
    assert_problem(response, 404)


async def test_customer_renamed_in_identity_shows_its_new_name(catalog: Catalog) -> None:
    company_id = await catalog.new_company()
    customer_id = await catalog.new_customer(company_id, "Old Name")
    product = await catalog.create_product(company_id)
    await catalog.set_override(company_id, customer_id, product["id"], "2.00")

    await catalog.deliver(customer_updated(company_id, customer_id, "New Name", version=2))

    assert [o["customerName"] for o in await catalog.overrides(company_id)] == ["New Name"]
