"""Identity's and catalog's events built from the contract classes, as their producers publish them: companies,
subscriptions, customers, addresses, contacts, users, API keys; products and price overrides.

For consumer tests that need events in an order no producer would send them (late, duplicated, with
chosen versions): the payload is the contract class's own JSON, so it cannot drift from the definition.
"""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from contracts.catalog import (
    PRICE_OVERRIDE_ENTITY,
    PRODUCT_ENTITY,
    PriceOverrideRemoved,
    PriceOverrideSet,
    ProductArchived,
    ProductCreated,
    ProductDeleted,
    ProductRestored,
    ProductSnapshot,
    ProductStatus,
    ProductUpdated,
)
from contracts.identity import (
    AddressCreated,
    AddressDeleted,
    AddressSnapshot,
    AddressUpdated,
    ApiKeyCreated,
    ApiKeyRevoked,
    CompanyCreated,
    CompanyDeleted,
    CompanyUpdated,
    ContactRole,
    CustomerContactCreated,
    CustomerContactRemoved,
    CustomerContactRoleChanged,
    CustomerContactUpdated,
    CustomerCreated,
    CustomerDeleted,
    CustomerUpdated,
    InviteAccepted,
    PlanLimits,
    SubscriptionChanged,
    TrialStarted,
    UserCreated,
)
from kit.db import utcnow
from kit.events import Actor, EntityRef, Event, EventEnvelope

STARTER_LIMITS = PlanLimits(max_products=100, max_team_members=3, max_customers=50, max_orders_per_month=200)
OWNER_ID = uuid.UUID("0190a0a0-0000-7000-8000-0000000000aa")
OWNER = Actor(type="USER", id=OWNER_ID)


def envelope(
    event: Event, company_id: uuid.UUID, entity: EntityRef, *, occurred_at: datetime | None = None
) -> EventEnvelope:
    """`event` in the envelope a producer's relay publishes."""
    return EventEnvelope(
        type=event.event_type,
        version=event.event_version,
        occurred_at=occurred_at or utcnow(),
        company_id=company_id,
        actor=OWNER,
        ip_address="203.0.113.7",
        request_id=uuid.uuid4().hex,
        entity=entity,
        data=event.model_dump(mode="json", by_alias=True),
    )


def company_entity(company_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type="Company", id=str(company_id), version=version)


def subscription_id(company_id: uuid.UUID) -> uuid.UUID:
    """The company's one subscription: the same id in every event about it."""
    return uuid.uuid5(company_id, "subscription")


def company_created(
    company_id: uuid.UUID, *, name: str, slug: str, version: int = 1, occurred_at: datetime | None = None
) -> EventEnvelope:
    event = CompanyCreated(id=company_id, name=name, slug=slug, currency="USD", show_prices_to_guests=False)
    return envelope(event, company_id, company_entity(company_id, version), occurred_at=occurred_at)


def company_updated(
    company_id: uuid.UUID,
    *,
    name: str,
    slug: str,
    version: int,
    previous_slug: str | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    previous_slug = previous_slug or slug
    event = CompanyUpdated(
        id=company_id,
        name=name,
        slug=slug,
        previous_slug=previous_slug,
        currency="USD",
        show_prices_to_guests=False,
        changes=["name", "slug"] if slug != previous_slug else ["name"],
    )
    return envelope(event, company_id, company_entity(company_id, version), occurred_at=occurred_at)


def company_deleted(company_id: uuid.UUID, *, name: str, slug: str, version: int) -> EventEnvelope:
    event = CompanyDeleted(id=company_id, name=name, slug=slug, deleted_at=utcnow(), deleted_by=OWNER_ID)
    return envelope(event, company_id, company_entity(company_id, version))


def subscription_entity(company_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type="Subscription", id=str(subscription_id(company_id)), version=version)


def trial_started(
    company_id: uuid.UUID,
    *,
    version: int = 1,
    trial_ends_at: datetime | None = None,
    limits: PlanLimits = STARTER_LIMITS,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    event = TrialStarted(
        id=subscription_id(company_id),
        plan_code="starter",
        status="TRIALING",
        trial_ends_at=trial_ends_at or utcnow() + timedelta(days=14),
        limits=limits,
    )
    return envelope(event, company_id, subscription_entity(company_id, version), occurred_at=occurred_at)


def subscription_changed(
    company_id: uuid.UUID,
    *,
    version: int,
    plan_code: str,
    status: str,
    limits: PlanLimits,
    trial_ends_at: datetime | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    event = SubscriptionChanged(
        id=subscription_id(company_id),
        plan_code=plan_code,
        previous_plan_code="starter",
        status=status,
        trial_ends_at=trial_ends_at,
        limits=limits,
    )
    return envelope(event, company_id, subscription_entity(company_id, version), occurred_at=occurred_at)


# -- identity: customers, addresses, contacts, users, API keys ---------------------------------------


def customer_entity(customer_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type="Customer", id=str(customer_id), version=version)


def customer_email(customer_id: uuid.UUID) -> str:
    return f"{customer_id.hex[:8]}@example.com"


def customer_created(
    company_id: uuid.UUID, customer_id: uuid.UUID, *, name: str, email: str | None = None, version: int = 1
) -> EventEnvelope:
    event = CustomerCreated(id=customer_id, email=email or customer_email(customer_id), name=name)
    return envelope(event, company_id, customer_entity(customer_id, version))


def customer_updated(
    company_id: uuid.UUID, customer_id: uuid.UUID, *, name: str, version: int, email: str | None = None
) -> EventEnvelope:
    event = CustomerUpdated(id=customer_id, email=email or customer_email(customer_id), name=name, changes=["name"])
    return envelope(event, company_id, customer_entity(customer_id, version))


def customer_deleted(
    company_id: uuid.UUID, customer_id: uuid.UUID, *, version: int, contact_ids: list[uuid.UUID] | None = None
) -> EventEnvelope:
    event = CustomerDeleted(id=customer_id, email=customer_email(customer_id), contact_ids=contact_ids or [])
    return envelope(event, company_id, customer_entity(customer_id, version))


def address_entity(address_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type="Address", id=str(address_id), version=version)


def _address(
    event_class: type[AddressSnapshot],
    company_id: uuid.UUID,
    address_id: uuid.UUID,
    customer_id: uuid.UUID,
    *,
    version: int,
    line1: str,
    is_default: bool,
    label: str | None,
) -> EventEnvelope:
    event = event_class(
        id=address_id,
        customer_id=customer_id,
        label=label,
        recipient="Receiving dock",
        line1=line1,
        line2=None,
        city="Springfield",
        region="IL",
        postal_code="62701",
        country="US",
        phone="+1 217 555 0100",
        is_default=is_default,
    )
    return envelope(event, company_id, address_entity(address_id, version))


def address_created(
    company_id: uuid.UUID,
    address_id: uuid.UUID,
    *,
    customer_id: uuid.UUID,
    line1: str = "1 Main St",
    is_default: bool = False,
    label: str | None = None,
    version: int = 1,
) -> EventEnvelope:
    return _address(
        AddressCreated,
        company_id,
        address_id,
        customer_id,
        version=version,
        line1=line1,
        is_default=is_default,
        label=label,
    )


def address_updated(
    company_id: uuid.UUID,
    address_id: uuid.UUID,
    *,
    customer_id: uuid.UUID,
    version: int,
    line1: str = "1 Main St",
    is_default: bool = False,
    label: str | None = None,
) -> EventEnvelope:
    return _address(
        AddressUpdated,
        company_id,
        address_id,
        customer_id,
        version=version,
        line1=line1,
        is_default=is_default,
        label=label,
    )


def address_deleted(
    company_id: uuid.UUID, address_id: uuid.UUID, *, customer_id: uuid.UUID, version: int
) -> EventEnvelope:
    event = AddressDeleted(id=address_id, customer_id=customer_id)
    return envelope(event, company_id, address_entity(address_id, version))


def contact_entity(contact_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type="CustomerContact", id=str(contact_id), version=version)


def contact_created(
    company_id: uuid.UUID,
    contact_id: uuid.UUID,
    *,
    customer_id: uuid.UUID,
    email: str,
    name: str | None,
    role: ContactRole = ContactRole.BUYER,
    version: int = 1,
) -> EventEnvelope:
    event = CustomerContactCreated(id=contact_id, customer_id=customer_id, email=email, name=name, role=role)
    return envelope(event, company_id, contact_entity(contact_id, version))


def contact_updated(
    company_id: uuid.UUID, contact_id: uuid.UUID, *, customer_id: uuid.UUID, name: str | None, version: int
) -> EventEnvelope:
    event = CustomerContactUpdated(id=contact_id, customer_id=customer_id, name=name)
    return envelope(event, company_id, contact_entity(contact_id, version))


def contact_role_changed(
    company_id: uuid.UUID,
    contact_id: uuid.UUID,
    *,
    customer_id: uuid.UUID,
    email: str,
    version: int,
    from_role: ContactRole = ContactRole.BUYER,
    to_role: ContactRole = ContactRole.VIEWER,
) -> EventEnvelope:
    event = CustomerContactRoleChanged(
        id=contact_id, customer_id=customer_id, email=email, from_role=from_role, to_role=to_role
    )
    return envelope(event, company_id, contact_entity(contact_id, version))


def contact_removed(
    company_id: uuid.UUID,
    contact_id: uuid.UUID,
    *,
    customer_id: uuid.UUID,
    email: str,
    version: int,
    role: ContactRole = ContactRole.BUYER,
) -> EventEnvelope:
    event = CustomerContactRemoved(id=contact_id, customer_id=customer_id, email=email, role=role)
    return envelope(event, company_id, contact_entity(contact_id, version))


def user_created(
    company_id: uuid.UUID, user_id: uuid.UUID, *, name: str, email: str, version: int = 1
) -> EventEnvelope:
    event = UserCreated(id=user_id, email=email, name=name)
    return envelope(event, company_id, EntityRef(type="User", id=str(user_id), version=version))


def invite_accepted(
    company_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    email: str,
    invite_id: uuid.UUID | None = None,
    membership_id: uuid.UUID | None = None,
    version: int = 2,
) -> EventEnvelope:
    """`user_id` joined the company; the envelope's entity is the invite (its version, not the user's)."""
    invite_id = invite_id or uuid.uuid4()
    event = InviteAccepted(id=invite_id, email=email, user_id=user_id, membership_id=membership_id or uuid.uuid4())
    return envelope(event, company_id, EntityRef(type="Invite", id=str(invite_id), version=version))


def api_key_entity(key_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type="ApiKey", id=str(key_id), version=version)


def api_key_created(company_id: uuid.UUID, key_id: uuid.UUID, *, name: str, version: int = 1) -> EventEnvelope:
    event = ApiKeyCreated(id=key_id, name=name, prefix="dk_test1", scopes=["orders:write"])
    return envelope(event, company_id, api_key_entity(key_id, version))


def api_key_revoked(company_id: uuid.UUID, key_id: uuid.UUID, *, name: str, version: int = 2) -> EventEnvelope:
    event = ApiKeyRevoked(id=key_id, name=name, prefix="dk_test1")
    return envelope(event, company_id, api_key_entity(key_id, version))


# -- catalog: products and price overrides -----------------------------------------------------------


def product_entity(product_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type=PRODUCT_ENTITY, id=str(product_id), version=version)


def _product_snapshot(
    event_class: type[ProductSnapshot],
    product_id: uuid.UUID,
    *,
    sku: str,
    name: str,
    unit_price: Decimal | str,
    status: ProductStatus,
    unit_of_sale: str,
    **extra: object,
) -> ProductSnapshot:
    return event_class.model_validate(
        {
            "id": product_id,
            "sku": sku,
            "name": name,
            "description": None,
            "unit_price": Decimal(unit_price),
            "currency": "USD",
            "unit_of_sale": unit_of_sale,
            "status": status,
            "category": None,
            "image_url": None,
            **extra,
        }
    )


def product_created(
    company_id: uuid.UUID,
    product_id: uuid.UUID,
    *,
    sku: str,
    name: str,
    unit_price: Decimal | str = "10.00",
    unit_of_sale: str = "each",
    status: ProductStatus = ProductStatus.ACTIVE,
    version: int = 1,
) -> EventEnvelope:
    event = _product_snapshot(
        ProductCreated,
        product_id,
        sku=sku,
        name=name,
        unit_price=unit_price,
        status=status,
        unit_of_sale=unit_of_sale,
        active_products=1,
        active_products_version=1,
    )
    return envelope(event, company_id, product_entity(product_id, version))


def product_updated(
    company_id: uuid.UUID,
    product_id: uuid.UUID,
    *,
    sku: str,
    name: str,
    version: int,
    unit_price: Decimal | str = "10.00",
    unit_of_sale: str = "each",
    status: ProductStatus = ProductStatus.ACTIVE,
) -> EventEnvelope:
    event = _product_snapshot(
        ProductUpdated,
        product_id,
        sku=sku,
        name=name,
        unit_price=unit_price,
        status=status,
        unit_of_sale=unit_of_sale,
        changes=["name", "unitPrice"],
    )
    return envelope(event, company_id, product_entity(product_id, version))


def _product_status_changed(
    event_class: type[ProductArchived | ProductRestored],
    status: ProductStatus,
    company_id: uuid.UUID,
    product_id: uuid.UUID,
    *,
    sku: str,
    name: str,
    version: int,
    unit_price: Decimal | str = "10.00",
    unit_of_sale: str = "each",
) -> EventEnvelope:
    """Catalog's ProductArchived or ProductRestored, the active count following the status (0 or 1)."""
    event = _product_snapshot(
        event_class,
        product_id,
        sku=sku,
        name=name,
        unit_price=unit_price,
        status=status,
        unit_of_sale=unit_of_sale,
        active_products=int(status is ProductStatus.ACTIVE),
        active_products_version=version,
    )
    return envelope(event, company_id, product_entity(product_id, version))


product_archived = partial(_product_status_changed, ProductArchived, ProductStatus.ARCHIVED)
product_restored = partial(_product_status_changed, ProductRestored, ProductStatus.ACTIVE)


def product_deleted(company_id: uuid.UUID, product_id: uuid.UUID, *, sku: str, version: int) -> EventEnvelope:
    event = ProductDeleted(id=product_id, sku=sku, active_products=0, active_products_version=version)
    return envelope(event, company_id, product_entity(product_id, version))


def price_override_entity(override_id: uuid.UUID, version: int) -> EntityRef:
    return EntityRef(type=PRICE_OVERRIDE_ENTITY, id=str(override_id), version=version)


def price_override_set(
    company_id: uuid.UUID,
    override_id: uuid.UUID,
    *,
    customer_id: uuid.UUID,
    product_id: uuid.UUID,
    unit_price: Decimal | str,
    version: int = 1,
) -> EventEnvelope:
    event = PriceOverrideSet(
        id=override_id, customer_id=customer_id, product_id=product_id, unit_price=Decimal(unit_price), currency="USD"
    )
    return envelope(event, company_id, price_override_entity(override_id, version))


def price_override_removed(
    company_id: uuid.UUID, override_id: uuid.UUID, *, customer_id: uuid.UUID, product_id: uuid.UUID, version: int
) -> EventEnvelope:
    event = PriceOverrideRemoved(id=override_id, customer_id=customer_id, product_id=product_id)
    return envelope(event, company_id, price_override_entity(override_id, version))
