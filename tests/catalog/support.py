"""Drive the catalog service in its tests: companies and customers arrive as identity's events through
RabbitMQ; staff, API keys, contacts and guests call it with the context the gateway would sign."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from contracts.identity import (
    CompanyCreated,
    CompanyUpdated,
    CustomerCreated,
    CustomerDeleted,
    CustomerUpdated,
    PlanLimits,
)
from kit.context import ContextSigner, Principal
from kit.events import EntityRef, EventEnvelope
from kit.settings import PlatformSettings
from services.catalog.app import SPEC
from services.catalog.models import Base
from tests.conftest import context_headers
from tests.contracts.envelopes import STARTER_LIMITS, company_entity, envelope, trial_started
from tests.support.events import publish_event, wait_until_processed
from tests.support.services import RunningService

PRODUCTS = "/api/v1/products"
IMPORT = f"{PRODUCTS}/import"
OVERRIDES = "/api/v1/price-overrides"
LIMITS = "/api/v1/catalog/limits"
STORE_PRODUCTS = "/storefront/products"
STORE_CATEGORIES = "/storefront/categories"
PROBLEM_JSON = "application/problem+json"


# The actor identity's events carry in these tests: the staff member who created or deleted the customer.
def company_created(
    company_id: uuid.UUID, *, currency: str = "USD", show_prices_to_guests: bool = False
) -> EventEnvelope:
    tag = company_id.hex[:8]
    event = CompanyCreated(
        id=company_id,
        name=f"Acme {tag}",
        slug=f"acme-{tag}",
        currency=currency,
        show_prices_to_guests=show_prices_to_guests,
    )
    return envelope(event, company_id, company_entity(company_id, 1))


def company_updated(
    company_id: uuid.UUID, *, currency: str, show_prices_to_guests: bool, version: int = 2
) -> EventEnvelope:
    tag = company_id.hex[:8]
    event = CompanyUpdated(
        id=company_id,
        name=f"Acme {tag}",
        slug=f"acme-{tag}",
        previous_slug=f"acme-{tag}",
        currency=currency,
        show_prices_to_guests=show_prices_to_guests,
        changes=["currency", "showPricesToGuests"],
    )
    return envelope(event, company_id, company_entity(company_id, version))


def plan_limits(max_products: int | None) -> PlanLimits:
    return STARTER_LIMITS.model_copy(update={"max_products": max_products})


def customer_entity(customer_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type="Customer", id=str(customer_id), version=version)


def customer_created(company_id: uuid.UUID, customer_id: uuid.UUID, name: str) -> EventEnvelope:
    event = CustomerCreated(id=customer_id, email=f"{customer_id.hex[:8]}@example.com", name=name)
    return envelope(event, company_id, customer_entity(customer_id, 1))


def customer_updated(company_id: uuid.UUID, customer_id: uuid.UUID, name: str, *, version: int) -> EventEnvelope:
    event = CustomerUpdated(id=customer_id, email=f"{customer_id.hex[:8]}@example.com", name=name, changes=["name"])
    return envelope(event, company_id, customer_entity(customer_id, version))


def customer_deleted(company_id: uuid.UUID, customer_id: uuid.UUID, *, version: int) -> EventEnvelope:
    event = CustomerDeleted(id=customer_id, email=f"{customer_id.hex[:8]}@example.com", contact_ids=[])
    return envelope(event, company_id, customer_entity(customer_id, version))


def product_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body with a SKU of its own; `overrides` replace or add fields."""
    body: dict[str, Any] = {
        "sku": f"SKU-{uuid.uuid4().hex[:8].upper()}",
        "name": "Nitrile gloves, box of 100",
        "unitPrice": "12.50",
    }
    body.update(overrides)
    return body


@dataclass(frozen=True)
class Catalog:
    """A running catalog service and what its tests need to drive and inspect it."""

    service: RunningService
    platform: PlatformSettings

    @property
    def client(self) -> httpx.AsyncClient:
        return self.service.client

    @property
    def signer(self) -> ContextSigner:
        return self.service.signer

    async def deliver(self, *envelopes: EventEnvelope) -> None:
        """Publish identity's events to RabbitMQ and wait until catalog has applied them."""
        await publish_event(self.platform, *envelopes)
        await wait_until_processed(self.service.database, SPEC.metadata, *envelopes)

    async def new_company(
        self, *, max_products: int | None = 100, currency: str = "USD", show_prices_to_guests: bool = False
    ) -> uuid.UUID:
        company_id = uuid.uuid4()
        await self.deliver(
            company_created(company_id, currency=currency, show_prices_to_guests=show_prices_to_guests),
            trial_started(company_id, limits=plan_limits(max_products)),
        )
        return company_id

    async def new_customer(self, company_id: uuid.UUID, name: str = "Blue Plate Diner") -> uuid.UUID:
        customer_id = uuid.uuid4()
        await self.deliver(customer_created(company_id, customer_id, name))
        return customer_id

    # Callers, as the gateway signs them.

    def headers(self, company_id: uuid.UUID | None, principal: Principal) -> dict[str, str]:
        return context_headers(self.signer, "catalog", company_id=company_id, principal=principal)

    def staff(
        self, company_id: uuid.UUID | None, role: str = "MEMBER", user_id: uuid.UUID | None = None
    ) -> dict[str, str]:
        return self.headers(company_id, Principal(type="user", id=user_id or uuid.uuid4(), role=role))

    def api_key(self, company_id: uuid.UUID, *scopes: str, key_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.headers(company_id, Principal(type="api_key", id=key_id or uuid.uuid4(), scopes=list(scopes)))

    def contact(self, company_id: uuid.UUID, customer_id: uuid.UUID, role: str = "BUYER") -> dict[str, str]:
        principal = Principal(type="contact", id=uuid.uuid4(), role=role, customer_id=customer_id)
        return self.headers(company_id, principal)

    def customer_account(self, company_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, str]:
        principal = Principal(type="customer", id=customer_id, role="ADMIN", customer_id=customer_id)
        return self.headers(company_id, principal)

    def guest(self, company_id: uuid.UUID) -> dict[str, str]:
        return self.headers(company_id, Principal(type="anonymous"))

    # Shortcuts through the API.

    async def create_product(self, company_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
        response = await self.client.post(PRODUCTS, json=product_body(**fields), headers=self.staff(company_id))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def set_override(
        self, company_id: uuid.UUID, customer_id: uuid.UUID, product_id: str, unit_price: str
    ) -> dict[str, Any]:
        body = {"customerId": str(customer_id), "productId": product_id, "unitPrice": unit_price}
        response = await self.client.post(OVERRIDES, json=body, headers=self.staff(company_id))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def all_products(self, company_id: uuid.UUID, **filters: str) -> list[dict[str, Any]]:
        """Every product of the company, walking all pages."""
        items: list[dict[str, Any]] = []
        params: dict[str, str] = {**filters, "limit": "200"}
        while True:
            response = await self.client.get(PRODUCTS, params=params, headers=self.staff(company_id))
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page["items"])
            if page["nextCursor"] is None:
                return items
            params["cursor"] = page["nextCursor"]

    async def overrides(self, company_id: uuid.UUID, **filters: str) -> list[dict[str, Any]]:
        response = await self.client.get(OVERRIDES, params=filters, headers=self.staff(company_id))
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def active_products(self, company_id: uuid.UUID) -> int:
        response = await self.client.get(LIMITS, headers=self.staff(company_id))
        assert response.status_code == 200, response.text
        active: int = response.json()["activeProducts"]
        return active

    # Inspecting what catalog stored and raised.

    async def events(self, company_id: uuid.UUID, *types: str) -> list[EventEnvelope]:
        """The company's events in catalog's outbox, oldest first; only `types` when given."""
        outbox = Base.metadata.tables["outbox"]
        statement = (
            select(outbox.c.payload)
            .where(outbox.c.payload["companyId"].as_string() == str(company_id))
            .order_by(outbox.c.created_at, outbox.c.id)
        )
        async with self.service.database.sessionmaker() as session:
            payloads = (await session.scalars(statement)).all()
        envelopes = [EventEnvelope.model_validate(payload) for payload in payloads]
        return [envelope for envelope in envelopes if not types or envelope.type in types]

    async def row_count(self, table: str, company_id: uuid.UUID) -> int:
        model = Base.metadata.tables[table]
        statement = select(func.count()).select_from(model).where(model.c.company_id == company_id)
        async with self.service.database.sessionmaker() as session:
            return int(await session.scalar(statement) or 0)


async def import_csv(catalog: Catalog, company_id: uuid.UUID, text: str, **headers: str) -> httpx.Response:
    """Import `text` as the company's staff (or with `headers`)."""
    return await catalog.client.post(
        IMPORT,
        content=text.encode(),
        headers={**(headers or catalog.staff(company_id)), "content-type": "text/csv"},
    )


def assert_problem(response: httpx.Response, status: int, *fields: str) -> dict[str, Any]:
    """The answer is problem+json with `status`, naming each of `fields` in its errors."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    named = {error["field"] for error in body.get("errors", [])}
    assert set(fields) <= named, body
    return body
