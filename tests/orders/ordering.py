"""A company orders knows, built the real way (identity's and catalog's events through RabbitMQ), and the
callers that order from it: staff, API keys, the customer's accounts on its storefront."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from contracts.catalog import ProductStatus
from contracts.identity import BillingProfileChanged, ContactRole, PlanLimits
from kit.context import Principal
from kit.db import utcnow
from kit.events import EntityRef, EventEnvelope
from kit.settings import PlatformSettings
from services.orders.app import SPEC
from tests.conftest import context_headers
from tests.contracts.envelopes import (
    STARTER_LIMITS,
    address_created,
    api_key_created,
    company_created,
    contact_created,
    customer_created,
    envelope,
    price_override_set,
    product_created,
    trial_started,
    user_created,
)
from tests.support.events import publish_event, wait_until_processed
from tests.support.services import RunningService

ORDERS = "/api/v1/orders"
STORE_ORDERS = "/storefront/orders"
CART = "/storefront/cart"
LIST_PRICES = ("10.00", "25.50", "4.99")
# The customer's own price for the first product.
OVERRIDE_PRICE = "8.00"


def limits(max_orders_per_month: int | None) -> PlanLimits:
    return STARTER_LIMITS.model_copy(update={"max_orders_per_month": max_orders_per_month})


# A billing profile as identity's owner page sets it: a US address with a second line, a region and a tax ID.
BILLING_PROFILE = BillingProfileChanged(
    id=uuid.UUID(int=0),
    legal_name="Acme Wholesale LLC",
    email="billing@acme-wholesale.test",
    address_line1="500 Market St",
    address_line2="Suite 200",
    city="San Francisco",
    region="CA",
    postal_code="94105",
    country="US",
    tax_id="EIN 12-3456789",
    changes=[],
)
# What its seller block prints: the address in the country's order, the country last, then the tax ID and email.
BILLING_PROFILE_LINES = [
    "500 Market St",
    "Suite 200",
    "San Francisco, CA 94105",
    "United States",
    "Tax ID: EIN 12-3456789",
    "billing@acme-wholesale.test",
]


def billing_profile_id(company_id: uuid.UUID) -> uuid.UUID:
    """The company's one billing profile: the same id in every event about it."""
    return uuid.uuid5(company_id, "billing-profile")


def billing_profile_changed(company_id: uuid.UUID, *, version: int = 1, **fields: Any) -> EventEnvelope:
    """The company's `BILLING_PROFILE` with `fields` (by attribute name) replaced, as identity publishes it at
    `version`: a new profile (version 1) names every field changed, a later one those replaced."""
    named = fields if version > 1 else BILLING_PROFILE.model_dump(exclude={"id", "changes"})
    changes = [BillingProfileChanged.model_fields[name].alias or name for name in named]
    profile = BILLING_PROFILE.model_copy(update={**fields, "id": billing_profile_id(company_id), "changes": changes})
    entity = EntityRef(type="BillingProfile", id=str(profile.id), version=version)
    return envelope(profile, company_id, entity)


@dataclass
class Shop:
    """One company with three products on sale, one archived, a customer (override on the first product) with
    two addresses, its contacts, a staff user and an API key."""

    orders: RunningService
    platform: PlatformSettings
    company_id: uuid.UUID
    name: str
    products: list[uuid.UUID]
    archived_product: uuid.UUID
    customer_id: uuid.UUID
    address_id: uuid.UUID
    other_address_id: uuid.UUID
    buyer_id: uuid.UUID
    second_buyer_id: uuid.UUID
    viewer_id: uuid.UUID
    user_id: uuid.UUID
    key_id: uuid.UUID
    override_id: uuid.UUID
    events: list[EventEnvelope] = field(default_factory=list)

    # -- callers ------------------------------------------------------------------------------------

    def headers(self, principal: Principal | None) -> dict[str, str]:
        return context_headers(self.orders.signer, "orders", company_id=self.company_id, principal=principal)

    def staff(self, role: str = "OWNER") -> dict[str, str]:
        return self.headers(Principal(type="user", id=self.user_id, role=role))

    def api_key(self, *scopes: str) -> dict[str, str]:
        return self.headers(Principal(type="api_key", id=self.key_id, scopes=list(scopes or ("orders:write",))))

    def contact(self, contact_id: uuid.UUID | None = None, role: str = "BUYER") -> dict[str, str]:
        principal = Principal(type="contact", id=contact_id or self.buyer_id, role=role, customer_id=self.customer_id)
        return self.headers(principal)

    def viewer(self) -> dict[str, str]:
        return self.contact(self.viewer_id, role="VIEWER")

    def customer_account(self) -> dict[str, str]:
        principal = Principal(type="customer", id=self.customer_id, role="ADMIN", customer_id=self.customer_id)
        return self.headers(principal)

    def anonymous(self) -> dict[str, str]:
        return self.headers(Principal(type="anonymous"))

    # -- calls --------------------------------------------------------------------------------------

    def order_body(self, *lines: tuple[int, int], **extra: Any) -> dict[str, Any]:
        """A staff order for the customer to its first address: (product index, quantity) lines."""
        body: dict[str, Any] = {
            "customerId": str(self.customer_id),
            "items": [{"productId": str(self.products[index]), "quantity": quantity} for index, quantity in lines],
            "shippingAddressId": str(self.address_id),
        }
        return body | extra

    async def place(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.orders.client.post(ORDERS, json=body, headers=headers or self.staff())

    async def placed(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.place(body or self.order_body((0, 1)))
        assert response.status_code == 201, response.text
        placed: dict[str, Any] = response.json()
        return placed

    async def get(self, path: str, headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
        return await self.orders.client.get(path, params=params, headers=headers or self.staff())

    async def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.orders.client.post(path, json=body, headers=headers or self.staff())

    async def put_in_cart(
        self, product_id: uuid.UUID, quantity: int, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.orders.client.put(
            f"{CART}/items/{product_id}", json={"quantity": quantity}, headers=headers or self.contact()
        )

    async def publish(self, *events: EventEnvelope) -> None:
        await publish_event(self.platform, *events)
        await wait_until_processed(self.orders.database, SPEC.metadata, *events)

    # -- what orders stored and raised ----------------------------------------------------------------

    async def outbox(self, *types: str) -> list[EventEnvelope]:
        """The company's events in orders' outbox, oldest first; only `types` when given."""
        outbox = SPEC.metadata.tables["outbox"]
        statement = (
            select(outbox.c.payload)
            .where(outbox.c.company_id == self.company_id)
            .order_by(outbox.c.created_at, outbox.c.id)
        )
        async with self.orders.database.sessionmaker() as session:
            payloads = (await session.scalars(statement)).all()
        envelopes = [EventEnvelope.model_validate(payload) for payload in payloads]
        return [envelope for envelope in envelopes if not types or envelope.type in types]

    async def rows(self, table: str) -> int:
        model = SPEC.metadata.tables[table]
        statement = select(func.count()).select_from(model).where(model.c.company_id == self.company_id)
        async with self.orders.database.sessionmaker() as session:
            return int(await session.scalar(statement) or 0)

    async def nothing_placed(self) -> None:
        """No order, line, history step nor event of this company; no number taken."""
        for table in ("orders", "order_items", "order_status_changes"):
            assert await self.rows(table) == 0, table
        assert await self.outbox("OrderPlaced") == []
        counters = SPEC.metadata.tables["order_counters"]
        statement = select(counters.c.last_number).where(counters.c.company_id == self.company_id)
        async with self.orders.database.sessionmaker() as session:
            assert (await session.scalar(statement) or 0) == 0


async def open_shop(
    orders: RunningService,
    platform: PlatformSettings,
    *,
    max_orders_per_month: int | None = 200,
    trial_ends_at: datetime | None = None,
) -> Shop:
    company_id = uuid.uuid4()
    slug = f"shop-{company_id.hex[:8]}"
    name = f"Shop {company_id.hex[:6]}"
    products = [uuid.uuid4() for _ in LIST_PRICES]
    archived = uuid.uuid4()
    customer_id, address_id, other_address_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    buyer_id, second_buyer_id, viewer_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    user_id, key_id, override_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    events = [
        company_created(company_id, name=name, slug=slug),
        trial_started(
            company_id,
            trial_ends_at=trial_ends_at or utcnow() + timedelta(days=14),
            limits=limits(max_orders_per_month),
        ),
        *[
            product_created(company_id, product_id, sku=f"SKU-{index}", name=f"Product {index}", unit_price=price)
            for index, (product_id, price) in enumerate(zip(products, LIST_PRICES, strict=True))
        ],
        product_created(company_id, archived, sku="SKU-OLD", name="Old product", status=ProductStatus.ARCHIVED),
        customer_created(company_id, customer_id, name="Corner Grocery"),
        address_created(company_id, address_id, customer_id=customer_id, line1="1 Main St", is_default=True),
        address_created(company_id, other_address_id, customer_id=customer_id, line1="9 Side St"),
        contact_created(company_id, buyer_id, customer_id=customer_id, email="buyer@corner.test", name="Bea Buyer"),
        contact_created(
            company_id, second_buyer_id, customer_id=customer_id, email="second@corner.test", name="Sam Second"
        ),
        contact_created(
            company_id,
            viewer_id,
            customer_id=customer_id,
            email="viewer@corner.test",
            name="Vic Viewer",
            role=ContactRole.VIEWER,
        ),
        price_override_set(
            company_id, override_id, customer_id=customer_id, product_id=products[0], unit_price=OVERRIDE_PRICE
        ),
        user_created(company_id, user_id, name="Olive Owner", email=f"olive-{company_id.hex[:6]}@shop.test"),
        api_key_created(company_id, key_id, name="ERP sync"),
    ]
    shop = Shop(
        orders=orders,
        platform=platform,
        company_id=company_id,
        name=name,
        products=products,
        archived_product=archived,
        customer_id=customer_id,
        address_id=address_id,
        other_address_id=other_address_id,
        buyer_id=buyer_id,
        second_buyer_id=second_buyer_id,
        viewer_id=viewer_id,
        user_id=user_id,
        key_id=key_id,
        override_id=override_id,
        events=events,
    )
    await shop.publish(*events)
    return shop
