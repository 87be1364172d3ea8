"""Deleting a company on the full topology, through the gateway only.

A company with data in every service (team, customers with contacts and addresses, an API key, products,
price overrides, a storefront session, its audit log, the read models of catalog, orders and webhooks)
is deleted by its owner. Its session, API key and storefront stop answering at once; then every
service purges it: no row of it is left in any table of any database, no key of it in Redis; another
company is untouched; and its storefront address can be taken again.
"""

import hashlib
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx

from contracts.redis import API_KEY_USED_KEY_PREFIX
from tests.e2e.system_state import (
    CompanyRows,
    company_redis_keys,
    database_urls,
    fetch_one,
    nonzero,
    redis_namespace,
    rows_everywhere,
)
from tests.support.api import PASSWORD, audit_entries, send_csrf_token, sign_up, unique
from tests.support.events import wait_until
from tests.support.systems import RunningSystem

STORE_PASSWORD = "storefront password 1"


@dataclass
class Company:
    """A company built through the public API, with a client for each of its ways in."""

    id: uuid.UUID
    name: str
    slug: str
    owner: httpx.AsyncClient
    admin: httpx.AsyncClient
    integrator: httpx.AsyncClient
    buyer: httpx.AsyncClient
    api_key_hash: str
    owner_user_id: str


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def open_company(stack: AsyncExitStack, base_url: str) -> Company:
    """A company with something in every service, made the way its people and integrators make it."""

    def client() -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url, timeout=30)

    owner, admin, integrator, buyer = [await stack.enter_async_context(client()) for _ in range(4)]
    name = f"Doomed Wholesale {uuid.uuid4().hex[:8]}"
    account = await sign_up(owner, company_name=name)
    slug = account["company"]["slug"]

    invited = {"email": f"{unique('admin')}@example.com", "role": "ADMIN"}
    invite = created(await owner.post("/api/v1/invites", json=invited))
    token = invite["acceptPath"].split("token=", 1)[1]
    acceptance = {"token": token, "name": "Adam Admin", "password": PASSWORD}
    accepted = await admin.post("/api/v1/invites/accept", json=acceptance)
    assert accepted.status_code == 200, accepted.text
    send_csrf_token(admin)
    # One more invite, left pending.
    created(await owner.post("/api/v1/invites", json={"email": f"{unique('member')}@example.com", "role": "MEMBER"}))

    customer = created(
        await owner.post("/api/v1/customers", json={"email": f"{unique('buyer')}@example.com", "name": "Blue Plate"})
    )
    contact = created(
        await owner.post(
            f"/api/v1/customers/{customer['id']}/contacts",
            json={"email": f"{unique('clerk')}@example.com", "name": "Casey Clerk", "role": "BUYER"},
        )
    )
    address = {"line1": "1 Harbour Road", "city": "Bristol", "postalCode": "BS1 5TY", "country": "GB"}
    created(await owner.post(f"/api/v1/customers/{customer['id']}/addresses", json=address))

    key = created(
        await owner.post("/api/v1/api-keys", json={"name": "ERP sync", "scopes": ["catalog:write", "customers:read"]})
    )
    integrator.headers["Authorization"] = f"Bearer {key['secret']}"

    async def catalog_knows_the_company() -> bool:
        # Until identity's first events reach catalog, it answers 503 (Retry-After) to every catalog call.
        return (await owner.get("/api/v1/catalog/limits")).status_code == 200

    await wait_until(catalog_knows_the_company, within=30, what="catalog to know the new company")
    bolts = created(
        await integrator.post("/api/v1/products", json={"sku": "BOLT-1", "name": "Bolts", "unitPrice": "10.00"})
    )
    created(await owner.post("/api/v1/products", json={"sku": "NUT-1", "name": "Nuts", "unitPrice": "20.00"}))

    async def override_accepted() -> httpx.Response | None:
        # Catalog knows the customer once identity's event has reached it.
        body = {"customerId": customer["id"], "productId": bolts["id"], "unitPrice": "7.50"}
        response = await owner.post("/api/v1/price-overrides", json=body)
        return response if response.status_code == 201 else None

    await wait_until(override_accepted, within=30, what="catalog to accept a price override")

    setup = {"email": contact["email"], "password": STORE_PASSWORD, "confirmPassword": STORE_PASSWORD}
    assert (await buyer.post(f"/store/{slug}/api/setup-password", json=setup)).status_code == 200
    login = await buyer.post(f"/store/{slug}/api/login", json={"email": contact["email"], "password": STORE_PASSWORD})
    assert login.status_code == 200, login.text

    return Company(
        id=uuid.UUID(account["company"]["id"]),
        name=name,
        slug=slug,
        owner=owner,
        admin=admin,
        integrator=integrator,
        buyer=buyer,
        api_key_hash=hashlib.sha256(key["secret"].encode()).hexdigest(),
        owner_user_id=account["user"]["id"],
    )


async def settled_rows(system: RunningSystem, company: Company) -> CompanyRows:
    """The company's rows once every event its making raised has been applied everywhere."""

    async def applied_everywhere() -> bool:
        usage = (await company.owner.get("/api/v1/subscription")).json()["usage"]
        audited = await audit_entries(company.owner, action="PriceOverrideSet")
        urls = database_urls(system)
        tenant = "SELECT 1 AS found FROM tenants WHERE company_id = :company_id"
        read_models = [await fetch_one(urls[s], tenant, company_id=company.id) for s in ("orders", "webhooks")]
        return usage["products"] == 2 and len(audited) == 1 and all(read_models)

    await wait_until(applied_everywhere, within=30, what="the company's events to be applied in every service")
    last: CompanyRows = {}

    async def unchanged() -> CompanyRows | None:
        # Then no count moves any more between two looks (events still on their way would move one).
        nonlocal last
        rows, last = last, await rows_everywhere(system, company.id)
        return last if rows == last else None

    return await wait_until(unchanged, within=30, interval=0.5, what="the company's rows to settle")


async def test_a_deleted_company_stops_at_once_and_is_purged_from_every_service(full_system: RunningSystem):
    async with AsyncExitStack() as stack:
        bystander = await open_company(stack, full_system.base_url)
        doomed = await open_company(stack, full_system.base_url)
        bystander_rows = await settled_rows(full_system, bystander)
        doomed_rows = await settled_rows(full_system, doomed)
        bystander_keys = await company_redis_keys(full_system, bystander.id)
        used_key = f"{redis_namespace(full_system)}:{API_KEY_USED_KEY_PREFIX}:{doomed.api_key_hash}"
        doomed_keys = await company_redis_keys(full_system, doomed.id, also=(used_key,))
        # What is about to be purged is there to begin with, in every service and in Redis.
        assert set(nonzero(doomed_rows)) == {"identity", "catalog", "orders", "audit", "webhooks"}, doomed_rows
        assert {"customers", "price_overrides", "products", "tenants"} <= set(nonzero(doomed_rows)["catalog"])
        assert used_key in doomed_keys
        assert len(doomed_keys) >= 5, doomed_keys  # two staff sessions, a storefront one, its slug, its API key

        wrong = await doomed.owner.request("DELETE", "/api/v1/company", json={"confirmSlug": f"{doomed.slug}-x"})
        assert 400 <= wrong.status_code < 500, wrong.text
        by_admin = await doomed.admin.request("DELETE", "/api/v1/company", json={"confirmSlug": doomed.slug})
        assert by_admin.status_code == 403, by_admin.text
        assert (await doomed.owner.get("/api/v1/company")).status_code == 200

        deleted = await doomed.owner.request("DELETE", "/api/v1/company", json={"confirmSlug": doomed.slug})
        assert deleted.status_code == 202, deleted.text

        # At once: no session, API key or storefront of it answers.
        assert (await doomed.owner.get("/api/v1/me")).status_code == 401
        assert (await doomed.admin.get("/api/v1/company")).status_code == 401
        assert (await doomed.integrator.get("/api/v1/products")).status_code == 401
        assert (await doomed.buyer.get(f"/store/{doomed.slug}/api/me")).status_code == 404
        async with httpx.AsyncClient(base_url=full_system.base_url) as visitor:
            assert (await visitor.get(f"/store/{doomed.slug}/api/products")).status_code == 404

        async def purged() -> bool:
            return not nonzero(await rows_everywhere(full_system, doomed.id))

        await wait_until(purged, within=60, interval=0.25, what="every service to purge the deleted company")
        identity = database_urls(full_system)["identity"]
        assert await fetch_one(identity, "SELECT id FROM companies WHERE id = :id", id=doomed.id) is None
        # Identity keeps a tombstone: the id, when, and which user deleted it.
        tombstone = await fetch_one(identity, "SELECT * FROM company_tombstones WHERE id = :id", id=doomed.id)
        assert tombstone is not None
        assert str(tombstone["deleted_by"]) == doomed.owner_user_id
        assert await company_redis_keys(full_system, doomed.id, also=(used_key,)) == []

        # The company next door lost nothing.
        assert await rows_everywhere(full_system, bystander.id) == bystander_rows
        assert await company_redis_keys(full_system, bystander.id) == bystander_keys
        assert (await bystander.owner.get("/api/v1/me")).status_code == 200
        assert (await bystander.integrator.get("/api/v1/products")).status_code == 200
        assert (await bystander.buyer.get(f"/store/{bystander.slug}/api/me")).status_code == 200

        # Its storefront address is free: a new company of the same name gets it.
        async with httpx.AsyncClient(base_url=full_system.base_url) as newcomer:
            again = await sign_up(newcomer, company_name=doomed.name)
            assert again["company"]["slug"] == doomed.slug
            assert uuid.UUID(again["company"]["id"]) != doomed.id

            async def catalog_of_newcomer() -> dict[str, Any] | None:
                # Catalog learns of the new company from identity's events, a moment after sign-up (503 till then).
                answer = await newcomer.get("/api/v1/products")
                return answer.json() if answer.status_code == httpx.codes.OK else None

            products = await wait_until(catalog_of_newcomer, within=30, what="catalog to know the new company")
            assert products["items"] == []
