"""The catalog end to end, through the gateway only, on the full topology: per-customer prices on the
storefront, guests, archiving, the product limit, slug changes, API keys and usage."""

import csv
import io
from typing import Any

import httpx

from tests.support.api import PASSWORD, audit_entries, send_csrf_token, sign_up, unique
from tests.support.events import wait_until
from tests.support.systems import RunningSystem


async def open_catalog(client: httpx.AsyncClient) -> dict[str, Any]:
    """Sign a new company up and wait until catalog has heard of it (a moment after signup)."""
    account = await sign_up(client)

    async def ready() -> bool:
        return (await client.get("/api/v1/catalog/limits")).status_code == 200

    await wait_until(ready, within=20, what="catalog to know the new company")
    return account


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def customer_with_signed_in_contact(
    owner: httpx.AsyncClient, store: httpx.AsyncClient, slug: str
) -> dict[str, Any]:
    customer = created(
        await owner.post("/api/v1/customers", json={"email": f"{unique('buyer')}@example.com", "name": "Diner"})
    )
    contact = created(
        await owner.post(
            f"/api/v1/customers/{customer['id']}/contacts",
            json={"email": f"{unique('clerk')}@example.com", "role": "BUYER"},
        )
    )
    setup = {"email": contact["email"], "password": PASSWORD, "confirmPassword": PASSWORD}
    assert (await store.post(f"/store/{slug}/api/setup-password", json=setup)).status_code == 200
    login = await store.post(f"/store/{slug}/api/login", json={"email": contact["email"], "password": PASSWORD})
    assert login.status_code == 200, login.text
    return customer


async def storefront_prices(client: httpx.AsyncClient, slug: str) -> dict[str, Any]:
    response = await client.get(f"/store/{slug}/api/products", params={"limit": 200})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_sku(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["sku"]: item for item in page["items"]}


async def set_override(owner: httpx.AsyncClient, customer_id: str, product_id: str, price: str) -> dict[str, Any]:
    """Catalog learns of a new customer from identity's event; the override is accepted once it has."""
    body = {"customerId": customer_id, "productId": product_id, "unitPrice": price}

    async def accepted() -> httpx.Response | None:
        response = await owner.post("/api/v1/price-overrides", json=body)
        return response if response.status_code == 201 else None

    response = await wait_until(accepted, within=20, what="the override to be accepted")
    result: dict[str, Any] = response.json()
    return result


async def test_each_customers_contacts_see_their_own_prices_and_guests_see_none(full_system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=full_system.base_url) as owner,
        httpx.AsyncClient(base_url=full_system.base_url) as ours,
        httpx.AsyncClient(base_url=full_system.base_url) as theirs,
        httpx.AsyncClient(base_url=full_system.base_url) as guest,
    ):
        slug = (await open_catalog(owner))["company"]["slug"]
        our_customer = await customer_with_signed_in_contact(owner, ours, slug)
        await customer_with_signed_in_contact(owner, theirs, slug)
        bolts = created(
            await owner.post("/api/v1/products", json={"sku": "BOLT-1", "name": "Bolts", "unitPrice": "10.00"})
        )
        created(await owner.post("/api/v1/products", json={"sku": "NUT-1", "name": "Nuts", "unitPrice": "20.00"}))

        await set_override(owner, our_customer["id"], bolts["id"], "7.50")

        mine = by_sku(await storefront_prices(ours, slug))
        assert (mine["BOLT-1"]["price"], mine["BOLT-1"]["listPrice"], mine["BOLT-1"]["hasCustomPrice"]) == (
            "7.50",
            "10.00",
            True,
        )
        assert (mine["NUT-1"]["price"], mine["NUT-1"]["hasCustomPrice"]) == ("20.00", False)
        other = by_sku(await storefront_prices(theirs, slug))
        assert (other["BOLT-1"]["price"], other["BOLT-1"]["hasCustomPrice"]) == ("10.00", False)
        anonymous = await storefront_prices(guest, slug)
        assert anonymous["pricesVisible"] is False
        assert {item["price"] for item in anonymous["items"]} == {None}
        assert {item["sku"] for item in anonymous["items"]} == {"BOLT-1", "NUT-1"}

        assert (await owner.patch("/api/v1/company", json={"showPricesToGuests": True})).status_code == 200

        async def guest_prices() -> dict[str, Any] | None:
            page = await storefront_prices(guest, slug)
            return page if page["pricesVisible"] else None

        shown = by_sku(await wait_until(guest_prices, within=20, what="guests to see prices"))
        assert (shown["BOLT-1"]["price"], shown["BOLT-1"]["hasCustomPrice"]) == ("10.00", False)

        async def override_audited() -> list[dict[str, Any]]:
            return await audit_entries(owner, action="PriceOverrideSet")

        [entry] = await wait_until(override_audited, within=20, what="PriceOverrideSet in the audit log")
        assert entry["metadata"]["unitPrice"] == "7.50"


async def test_archived_products_vanish_from_the_storefront_and_deleting_one_drops_its_overrides(
    full_system: RunningSystem,
):
    async with (
        httpx.AsyncClient(base_url=full_system.base_url) as owner,
        httpx.AsyncClient(base_url=full_system.base_url) as store,
    ):
        slug = (await open_catalog(owner))["company"]["slug"]
        customer = await customer_with_signed_in_contact(owner, store, slug)
        product = created(await owner.post("/api/v1/products", json={"sku": "OLD-1", "name": "Old", "unitPrice": "5"}))
        override = await set_override(owner, customer["id"], product["id"], "4.00")

        assert (await owner.post(f"/api/v1/products/{product['id']}/archive")).status_code == 200
        assert "OLD-1" not in by_sku(await storefront_prices(store, slug))
        assert (await store.get(f"/store/{slug}/api/products/{product['id']}")).status_code == 404

        assert (await owner.post(f"/api/v1/products/{product['id']}/restore")).status_code == 200
        assert by_sku(await storefront_prices(store, slug))["OLD-1"]["price"] == "4.00"

        assert (await owner.delete(f"/api/v1/products/{product['id']}")).status_code == 204
        assert (await owner.get(f"/api/v1/price-overrides/{override['id']}")).status_code in (404, 405)
        listed = await owner.get("/api/v1/price-overrides", params={"customerId": customer["id"]})
        assert listed.json()["items"] == []


async def test_the_product_limit_refuses_the_next_active_product_until_one_is_archived(full_system: RunningSystem):
    async with httpx.AsyncClient(base_url=full_system.base_url) as owner:
        await open_catalog(owner)
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(["sku", "name", "unitPrice"])
        for number in range(100):
            writer.writerow([f"LIM-{number:03d}", f"Item {number}", "1.00"])
        imported = await owner.post(
            "/api/v1/products/import", content=rows.getvalue().encode(), headers={"Content-Type": "text/csv"}
        )
        assert imported.status_code == 200, imported.text
        assert imported.json()["created"] == 100

        refused = await owner.post("/api/v1/products", json={"sku": "ONE-MORE", "name": "One more", "unitPrice": "1"})
        assert refused.status_code == 402
        assert "maxProducts" in refused.json()["detail"]
        assert (await owner.get("/api/v1/products", params={"q": "ONE-MORE"})).json()["items"] == []

        first = (await owner.get("/api/v1/products", params={"q": "LIM-000"})).json()["items"][0]
        assert (await owner.post(f"/api/v1/products/{first['id']}/archive")).status_code == 200
        created(await owner.post("/api/v1/products", json={"sku": "ONE-MORE", "name": "One more", "unitPrice": "1"}))

        async def usage_reported() -> bool:
            usage = (await owner.get("/api/v1/subscription")).json()["usage"]
            return bool(usage["products"] == 100)

        await wait_until(usage_reported, within=20, what="identity to report 100 active products")


async def test_the_catalog_moves_with_the_storefront_slug(full_system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=full_system.base_url) as owner,
        httpx.AsyncClient(base_url=full_system.base_url) as guest,
    ):
        old_slug = (await open_catalog(owner))["company"]["slug"]
        created(await owner.post("/api/v1/products", json={"sku": "MOVE-1", "name": "Mover", "unitPrice": "3"}))
        new_slug = unique("moved")
        assert (await owner.patch("/api/v1/company", json={"slug": new_slug})).status_code == 200

        assert (await guest.get(f"/store/{old_slug}/api/products")).status_code == 404
        assert "MOVE-1" in by_sku(await storefront_prices(guest, new_slug))
        assert (await guest.get(f"/store/{new_slug}/catalog")).status_code == 200


async def test_api_keys_with_catalog_scopes_manage_the_catalog(full_system: RunningSystem):
    async with (
        httpx.AsyncClient(base_url=full_system.base_url) as owner,
        httpx.AsyncClient(base_url=full_system.base_url) as reader,
        httpx.AsyncClient(base_url=full_system.base_url) as writer,
    ):
        await open_catalog(owner)
        for client, scopes in ((reader, ["catalog:read"]), (writer, ["catalog:write"])):
            key = created(await owner.post("/api/v1/api-keys", json={"name": "ERP", "scopes": scopes}))
            client.headers["Authorization"] = f"Bearer {key['secret']}"
        send_csrf_token(owner)

        product = created(
            await writer.post("/api/v1/products", json={"sku": "API-1", "name": "By key", "unitPrice": "2"})
        )
        refused = await reader.post("/api/v1/products", json={"sku": "API-2", "name": "Nope", "unitPrice": "2"})
        listed = await reader.get("/api/v1/products")
        exported = await reader.get("/api/v1/products/export")

        assert refused.status_code == 403
        assert "catalog:write" in refused.json()["detail"]
        assert [item["id"] for item in listed.json()["items"]] == [product["id"]]
        assert exported.status_code == 200
        assert "API-1" in exported.text
