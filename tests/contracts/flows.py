"""Flows through the producers' real APIs that, between them, raise every event type in `contracts/`."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.catalog.support import OVERRIDES, PRODUCTS, Catalog
from tests.identity.conftest import Identity
from tests.identity.people import company_of, create_address, create_contact, create_customer
from tests.identity.staff import PASSWORD, invite, join
from tests.support.api import BILLING_PROFILE
from tests.support.services import RunningService

STOREFRONT_PASSWORD = "storefront-pass-1"


@dataclass(frozen=True)
class Account:
    """The company the flows leave in place, and the customer catalog's price overrides are for."""

    company_id: str
    customer_id: str


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else None


async def identity_flows(identity: Identity) -> Account:
    """Every identity event type, each raised through the API as people cause it."""
    client = identity.client
    account = await identity.signup()  # CompanyCreated, UserCreated, MembershipCreated, TrialStarted
    owner = identity.owner_of(account)
    company_id = company_of(account)

    ok(
        await client.post(
            "/api/v1/auth/login",
            json={"email": account["user"]["email"], "password": PASSWORD},
            headers=identity.anonymous(),
        )
    )  # UserSignedIn
    ok(await client.patch("/api/v1/company", json={"name": "Acme Contract Supply"}, headers=owner))  # CompanyUpdated
    # BillingProfileChanged, SubscriptionChanged
    ok(
        await client.post(
            "/api/v1/subscription", json={"planCode": "scale", "billingProfile": BILLING_PROFILE}, headers=owner
        )
    )

    # Staff: invites (created, accepted, revoked), a role change, a removal.
    admin = await join(identity, account)  # InviteCreated, InviteAccepted
    revoked = await invite(identity, account)
    ok(await client.delete(f"/api/v1/invites/{revoked['id']}", headers=owner), 204)  # InviteRevoked
    ok(
        await client.patch(f"/api/v1/members/{admin.membership_id}", json={"role": "ADMIN"}, headers=owner)
    )  # MembershipRoleChanged
    leaving = await join(identity, account)
    ok(await client.delete(f"/api/v1/members/{leaving.membership_id}", headers=owner), 204)  # MembershipRemoved

    # Customers, their contacts and addresses, and storefront accounts.
    customer = await create_customer(identity, owner)  # CustomerCreated
    customers = f"/api/v1/customers/{customer['id']}"
    ok(await client.patch(customers, json={"name": "Blue Plate Bistro"}, headers=owner))  # CustomerUpdated
    contact = await create_contact(identity, owner, customer, role="BUYER")  # CustomerContactCreated
    contact_path = f"{customers}/contacts/{contact['id']}"
    ok(await client.patch(contact_path, json={"name": "Casey Buyer"}, headers=owner))  # CustomerContactUpdated
    ok(await client.patch(contact_path, json={"role": "ADMIN"}, headers=owner))  # CustomerContactRoleChanged
    storefront = identity.anonymous(company_id=company_id)
    ok(
        await client.post(
            "/storefront/setup-password",
            json={"email": contact["email"], "password": STOREFRONT_PASSWORD, "confirmPassword": STOREFRONT_PASSWORD},
            headers=storefront,
        )
    )  # StorefrontPasswordSet
    ok(
        await client.post(
            "/storefront/login", json={"email": contact["email"], "password": STOREFRONT_PASSWORD}, headers=storefront
        )
    )  # StorefrontSignedIn
    removed = await create_contact(identity, owner, customer, role="VIEWER")
    ok(await client.delete(f"{customers}/contacts/{removed['id']}", headers=owner), 204)  # CustomerContactRemoved
    address = await create_address(identity, owner, customer)  # AddressCreated
    address_path = f"{customers}/addresses/{address['id']}"
    ok(await client.patch(address_path, json={"city": "Southampton"}, headers=owner))  # AddressUpdated
    ok(await client.delete(address_path, headers=owner), 204)  # AddressDeleted
    gone = await create_customer(identity, owner)
    ok(await client.delete(f"/api/v1/customers/{gone['id']}", headers=owner), 204)  # CustomerDeleted

    # API keys.
    key = ok(
        await client.post("/api/v1/api-keys", json={"name": "ERP", "scopes": ["catalog:read"]}, headers=owner), 201
    )  # ApiKeyCreated
    ok(await client.delete(f"/api/v1/api-keys/{key['id']}", headers=owner), 204)  # ApiKeyRevoked

    ok(
        await client.post(f"/api/v1/members/{admin.membership_id}/transfer-ownership", headers=owner)
    )  # OwnershipTransferred

    # Another company, deleted by its owner: the first one stays for catalog's flows.
    doomed = await identity.signup(companyName="Doomed Distributors")
    ok(
        await client.request(
            "DELETE",
            "/api/v1/company",
            json={"confirmSlug": doomed["company"]["slug"]},
            headers=identity.owner_of(doomed),
        ),
        202,
    )  # CompanyDeleted

    return Account(company_id=str(company_id), customer_id=customer["id"])


async def catalog_flows(catalog: Catalog, company_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """Every catalog event type, for a company and customer catalog knows from identity's events."""
    client = catalog.client
    staff = catalog.staff(company_id, "ADMIN")

    product = await catalog.create_product(company_id)  # ProductCreated
    path = f"{PRODUCTS}/{product['id']}"
    ok(await client.patch(path, json={"name": "Nitrile gloves, box of 200"}, headers=staff))  # ProductUpdated
    ok(await client.post(f"{path}/archive", headers=staff))  # ProductArchived
    ok(await client.post(f"{path}/restore", headers=staff))  # ProductRestored

    override = await catalog.set_override(company_id, customer_id, product["id"], "9.99")  # PriceOverrideSet
    ok(await client.delete(f"{OVERRIDES}/{override['id']}", headers=staff), 204)  # PriceOverrideRemoved

    lines = ["sku,name,unitPrice", "IMP-1,Imported one,1.00", "IMP-2,Imported two,2.00"]
    ok(
        await client.post(
            f"{PRODUCTS}/import", content="\n".join(lines).encode(), headers={**staff, "content-type": "text/csv"}
        )
    )  # ProductCreated (each), ProductsImported

    doomed = await catalog.create_product(company_id)
    await catalog.set_override(company_id, customer_id, doomed["id"], "1.50")
    ok(await client.delete(f"{PRODUCTS}/{doomed['id']}", headers=staff), 204)  # PriceOverrideRemoved, ProductDeleted


async def orders_flows(orders: RunningService, company_id: uuid.UUID, customer_id: uuid.UUID, product_id: str) -> None:
    """Every orders event type, for a company, customer and product orders knows from the others' events."""
    owner = orders.headers(company_id)
    body = {
        "customerId": str(customer_id),
        "items": [{"productId": product_id, "quantity": 3}],
        "shippingAddress": {"line1": "1 Harbour Road", "city": "Portsmouth", "postalCode": "PO1 3AX", "country": "GB"},
        "poNumber": "PO-1",
    }
    shipped = ok(await orders.client.post("/api/v1/orders", json=body, headers=owner), 201)  # OrderPlaced
    ok(
        await orders.client.post(f"/api/v1/orders/{shipped['id']}/status", json={"status": "CONFIRMED"}, headers=owner)
    )  # OrderStatusChanged, DocumentIssued (its invoice)
    ok(
        await orders.client.post(f"/api/v1/orders/{shipped['id']}/cancel", json={"reason": "Duplicate"}, headers=owner)
    )  # OrderCancelled, DocumentVoided

    certificate = ok(
        await orders.client.post(
            f"/api/v1/customers/{customer_id}/documents",
            files={"file": ("exemption.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
            data={"title": "Tax exemption", "expiresAt": "2027-12-31"},
            headers=owner,
        ),
        201,
    )  # DocumentUploaded
    ok(await orders.client.delete(f"/api/v1/documents/{certificate['id']}", headers=owner), 204)  # DocumentDeleted


async def webhooks_flows(webhooks: RunningService, company_id: uuid.UUID) -> None:
    """Every event type webhooks publishes (WebhookTest is never published), for one company's endpoint."""
    owner = webhooks.headers(company_id)
    body = {"url": "https://hooks.example.com/distribu", "events": ["OrderPlaced"], "description": "ERP"}
    webhook = ok(await webhooks.client.post("/api/v1/webhooks", json=body, headers=owner), 201)  # WebhookCreated
    path = f"/api/v1/webhooks/{webhook['id']}"
    ok(await webhooks.client.patch(path, json={"events": ["*"]}, headers=owner))  # WebhookUpdated
    ok(await webhooks.client.patch(path, json={"enabled": False}, headers=owner))  # WebhookDisabled
    ok(await webhooks.client.patch(path, json={"enabled": True}, headers=owner))  # WebhookEnabled
    ok(await webhooks.client.post(f"{path}/rotate-secret", headers=owner))  # WebhookSecretRotated
    ok(await webhooks.client.delete(path, headers=owner), 204)  # WebhookDeleted
