"""Orders end to end, through the gateway only: a contact shops at their own prices and checks out, the
customer's other contacts see the order, the frozen address, staff move it to delivery with every step in
the audit log (in both run modes: the full topology, and embedded mode on SQLite); a price moved between
cart and checkout, and one order per Idempotency-Key."""

import asyncio
import re
from typing import Any

import httpx

from tests.e2e.test_catalog import created, customer_with_signed_in_contact, open_catalog, set_override
from tests.support.api import PASSWORD, audit_entries, send_csrf_token, unique
from tests.support.events import wait_until
from tests.support.systems import RunningSystem

ADDRESS = {"label": "Dock 4", "line1": "1 Harbour Road", "city": "Springfield", "postalCode": "62704", "country": "US"}


async def add_contact(
    owner: httpx.AsyncClient, store: httpx.AsyncClient, slug: str, customer_id: str, role: str
) -> None:
    contact = created(
        await owner.post(
            f"/api/v1/customers/{customer_id}/contacts",
            json={"email": f"{unique('colleague')}@example.com", "role": role},
        )
    )
    setup = {"email": contact["email"], "password": PASSWORD, "confirmPassword": PASSWORD}
    assert (await store.post(f"/store/{slug}/api/setup-password", json=setup)).status_code == 200
    login = await store.post(f"/store/{slug}/api/login", json={"email": contact["email"], "password": PASSWORD})
    assert login.status_code == 200, login.text
    send_csrf_token(store)


async def put_in_cart(store: httpx.AsyncClient, slug: str, product_id: str, quantity: int) -> dict[str, Any]:
    """Orders learns products from catalog's events: a product just created is accepted a moment later."""

    async def added() -> httpx.Response | None:
        response = await store.put(f"/store/{slug}/api/cart/items/{product_id}", json={"quantity": quantity})
        return response if response.status_code == 200 else None

    response = await wait_until(added, within=20, what="orders to know the product")
    body: dict[str, Any] = response.json()
    return body


async def cart_once_priced(store: httpx.AsyncClient, slug: str, product_id: str, price: str) -> dict[str, Any]:
    """The cart once orders has applied the price catalog published for `product_id`."""

    async def priced() -> dict[str, Any] | None:
        cart: dict[str, Any] = (await store.get(f"/store/{slug}/api/cart")).json()
        lines = {line["productId"]: line for line in cart["items"]}
        return cart if lines[product_id]["unitPrice"] == price else None

    return await wait_until(priced, within=20, what=f"the cart to show {price}")


async def test_a_contact_orders_at_their_prices_and_staff_deliver_it(system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=system.base_url) as owner,
        httpx.AsyncClient(base_url=system.base_url) as buyer,
        httpx.AsyncClient(base_url=system.base_url) as colleague,
    ):
        slug = (await open_catalog(owner))["company"]["slug"]
        customer = await customer_with_signed_in_contact(owner, buyer, slug)
        send_csrf_token(buyer)
        await add_contact(owner, colleague, slug, customer["id"], "VIEWER")
        address = created(await owner.post(f"/api/v1/customers/{customer['id']}/addresses", json=ADDRESS))
        bolts = created(
            await owner.post("/api/v1/products", json={"sku": "BOLT-1", "name": "Bolts", "unitPrice": "10.00"})
        )
        nuts = created(await owner.post("/api/v1/products", json={"sku": "NUT-1", "name": "Nuts", "unitPrice": "2.00"}))
        await set_override(owner, customer["id"], bolts["id"], "7.50")

        await put_in_cart(buyer, slug, bolts["id"], 4)
        await put_in_cart(buyer, slug, nuts["id"], 10)
        cart = await cart_once_priced(buyer, slug, bolts["id"], "7.50")
        assert (cart["subtotal"], cart["total"], cart["issues"]) == ("50.00", "50.00", [])

        checkout = {"shippingAddressId": address["id"], "poNumber": "PO-77", "expectedTotal": cart["total"]}

        async def placed() -> httpx.Response | None:
            # The address reached orders from identity's event a moment after it was created.
            response = await buyer.post(f"/store/{slug}/api/orders", json=checkout)
            return response if response.status_code != 422 else None

        order = created(await wait_until(placed, within=20, what="the storefront order"))
        assert order["number"].startswith("SO-")
        assert {line["sku"]: (line["unitPrice"], line["listPrice"], line["lineTotal"]) for line in order["items"]} == {
            "BOLT-1": ("7.50", "10.00", "30.00"),
            "NUT-1": ("2.00", "2.00", "20.00"),
        }
        assert order["total"] == "50.00"
        assert (await buyer.get(f"/store/{slug}/api/cart")).json()["items"] == []

        # Every contact of the customer sees it, a VIEWER included; the address edited later stays as ordered.
        history = (await colleague.get(f"/store/{slug}/api/orders")).json()["items"]
        assert [item["id"] for item in history] == [order["id"]]
        moved = await owner.patch(
            f"/api/v1/customers/{customer['id']}/addresses/{address['id']}", json={"line1": "9 New Quay"}
        )
        assert moved.status_code == 200, moved.text
        for step in ("CONFIRMED", "SHIPPED", "DELIVERED"):
            answer = await owner.post(f"/api/v1/orders/{order['id']}/status", json={"status": step})
            assert answer.status_code == 200, answer.text
        seen = (await colleague.get(f"/store/{slug}/api/orders/{order['id']}")).json()
        assert seen["shippingAddress"]["line1"] == "1 Harbour Road"
        assert [step["status"] for step in seen["statusHistory"]] == ["PENDING", "CONFIRMED", "SHIPPED", "DELIVERED"]

        async def every_step_audited() -> list[dict[str, Any]] | None:
            entries = await audit_entries(owner, entityId=order["id"])
            return entries if len(entries) == 4 else None

        entries = await wait_until(every_step_audited, within=20, what="the order's audit entries")
        by_action: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            by_action.setdefault(entry["action"], []).append(entry)
        [placement] = by_action["OrderPlaced"]
        assert (placement["actorType"], placement["metadata"]["total"]) == ("CUSTOMER", "50.00")
        advances = by_action["OrderStatusChanged"]
        assert {entry["metadata"]["toStatus"] for entry in advances} == {"CONFIRMED", "SHIPPED", "DELIVERED"}
        me = (await owner.get("/api/v1/me")).json()
        assert {(entry["actorType"], entry["actorId"]) for entry in advances} == {("USER", me["user"]["id"])}
        assert all(entry["ipAddress"] for entry in entries)


async def test_a_price_moved_between_cart_and_checkout_places_nothing(full_system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=full_system.base_url) as owner,
        httpx.AsyncClient(base_url=full_system.base_url) as buyer,
    ):
        slug = (await open_catalog(owner))["company"]["slug"]
        customer = await customer_with_signed_in_contact(owner, buyer, slug)
        send_csrf_token(buyer)
        address = created(await owner.post(f"/api/v1/customers/{customer['id']}/addresses", json=ADDRESS))
        gloves = created(
            await owner.post("/api/v1/products", json={"sku": "GLOVE-1", "name": "Gloves", "unitPrice": "5.00"})
        )
        await put_in_cart(buyer, slug, gloves["id"], 2)
        seen_total = (await buyer.get(f"/store/{slug}/api/cart")).json()["total"]
        assert seen_total == "10.00"

        assert (await owner.patch(f"/api/v1/products/{gloves['id']}", json={"unitPrice": "6.00"})).status_code == 200
        await cart_once_priced(buyer, slug, gloves["id"], "6.00")
        checkout = {"shippingAddressId": address["id"], "expectedTotal": seen_total}

        async def refused() -> httpx.Response | None:
            response = await buyer.post(f"/store/{slug}/api/orders", json=checkout)
            return response if response.status_code == 409 else None

        conflict = await wait_until(refused, within=20, what="checkout refused for the moved price")
        assert "GLOVE-1" in conflict.text
        assert (await owner.get("/api/v1/orders")).json()["items"] == []
        assert [line["quantity"] for line in (await buyer.get(f"/store/{slug}/api/cart")).json()["items"]] == [2]


async def test_the_same_idempotency_key_sent_five_times_at_once_places_one_order(full_system: RunningSystem):
    async with httpx.AsyncClient(base_url=full_system.base_url) as owner:
        await open_catalog(owner)
        washers = created(
            await owner.post("/api/v1/products", json={"sku": "WASH-1", "name": "Washers", "unitPrice": "0.10"})
        )
        body = {"items": [{"productId": washers["id"], "quantity": 100}], "notes": "walk-in"}

        async def first() -> httpx.Response | None:
            response = await owner.post("/api/v1/orders", json=body, headers={"Idempotency-Key": unique("warm")})
            return response if response.status_code == 201 else None

        await wait_until(first, within=20, what="orders to know the product")
        key = unique("order")
        answers = await asyncio.gather(
            *(owner.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key}) for _ in range(5))
        )
        statuses = sorted(answer.status_code for answer in answers)
        # The first is placed; the others are told it is still running (409) or get its answer again.
        assert set(statuses) <= {201, 409}, statuses
        assert 201 in statuses, statuses
        orders = (await owner.get("/api/v1/orders")).json()["items"]
        assert len(orders) == 2
        created_ids = {answer.json()["id"] for answer in answers if answer.status_code == 201}
        assert len(created_ids) == 1
        replay = await owner.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})
        assert (replay.status_code, replay.headers.get("Idempotent-Replayed")) == (201, "true")
        assert replay.json()["id"] in created_ids


async def test_the_new_order_form_posted_twice_at_once_places_one_order(full_system: RunningSystem):
    """A double click on "Place order": both posts carry the form's own key, the second gets the first's answer."""
    async with httpx.AsyncClient(base_url=full_system.base_url) as owner:
        await open_catalog(owner)
        cups = created(await owner.post("/api/v1/products", json={"sku": "CUP-1", "name": "Cups", "unitPrice": "3.00"}))
        body = {"items": [{"productId": cups["id"], "quantity": 1}]}

        async def first_order() -> dict[str, Any] | None:
            # Orders hears of the product a moment after it is created.
            response = await owner.post("/api/v1/orders", json=body)
            return response.json() if response.status_code == 201 else None

        first = await wait_until(first_order, within=20, what="orders to know the product")
        page = (await owner.get("/dashboard/orders/new")).text
        form = {
            "csrf_token": page_field(page, "csrf_token"),
            "form_key": page_field(page, "form_key"),
            "line_product_0": cups["id"],
            "line_quantity_0": "12",
            "shipping": "none",
        }

        answers = await asyncio.gather(*(owner.post("/dashboard/orders", data=form) for _ in range(2)))

        listed = (await owner.get("/api/v1/orders")).json()["items"]
        [placed] = [order for order in listed if order["id"] != first["id"]]
        assert [answer.status_code for answer in answers] == [303, 303]
        assert {answer.headers["location"].split("?")[0] for answer in answers} == {f"/dashboard/orders/{placed['id']}"}


def page_field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found is not None, f"no {name} field on the page"
    return found.group(1)
