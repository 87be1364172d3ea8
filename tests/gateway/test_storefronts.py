"""Storefront routing: slug → company from the Redis directory, identity on a miss, 404 for none."""

import json
import uuid

from tests.gateway.conftest import GatewayHarness


def _entry(slug: str, name: str = "Acme Distributors") -> dict[str, str]:
    return {"companyId": str(uuid.uuid4()), "name": name, "slug": slug}


async def test_directory_hit_routes_to_the_service_with_the_slugs_company(gateway: GatewayHarness) -> None:
    entry = _entry("acme")
    await gateway.redis.set(f"{gateway.namespace}:storefront:acme", json.dumps(entry))

    response = await gateway.client.get("/store/acme/api/products/p-1?q=bolts")

    assert response.json()["path"] == "/storefront/products/p-1"
    assert response.json()["query"] == "q=bolts"
    catalog = gateway.services["catalog"]
    context = catalog.context_of(catalog.received[-1])
    assert str(context.company_id) == entry["companyId"]
    assert context.principal.type == "anonymous"
    assert gateway.services["identity"].received == []


async def test_directory_miss_asks_identity(gateway: GatewayHarness) -> None:
    entry = _entry("blue-plate")
    gateway.services["identity"].storefronts["blue-plate"] = entry

    response = await gateway.client.get("/store/blue-plate/api/orders")

    assert response.json()["service"] == "orders"
    orders = gateway.services["orders"]
    assert str(orders.context_of(orders.received[-1]).company_id) == entry["companyId"]
    lookup = gateway.services["identity"].calls_to("/internal/storefronts/blue-plate")
    assert len(lookup) == 1
    assert gateway.services["identity"].context_of(lookup[0]).principal.type == "anonymous"


async def test_unknown_slug_is_a_404_problem(gateway: GatewayHarness) -> None:
    response = await gateway.client.get("/store/nobody/api/products")

    assert response.status_code == 404
    assert response.json()["detail"] == "There is no storefront at /store/nobody."
    assert gateway.services["catalog"].received == []


async def test_staff_session_is_not_a_storefront_principal(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    gateway.services["identity"].storefronts["acme"] = _entry("acme")

    await gateway.client.get("/store/acme/api/me")

    identity = gateway.services["identity"]
    assert identity.context_of(identity.calls_to("/storefront/me")[0]).principal.type == "anonymous"


async def test_unknown_storefront_api_path_is_404(gateway: GatewayHarness) -> None:
    gateway.services["identity"].storefronts["acme"] = _entry("acme")

    response = await gateway.client.get("/store/acme/api/secrets")

    assert response.status_code == 404


async def test_landing_page_shows_the_company_name(gateway: GatewayHarness) -> None:
    await gateway.redis.set(f"{gateway.namespace}:storefront:acme", json.dumps(_entry("acme", "Acme & Sons")))

    response = await gateway.client.get("/store/acme")
    missing = await gateway.client.get("/store/nobody", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert 'data-testid="store-name">Acme &amp; Sons</h1>' in response.text
    assert 'href="/store/acme/login"' in response.text
    assert missing.status_code == 404
    assert "There is no storefront at /store/nobody." in missing.text
