"""Every event identity publishes: companies, plans and billing profiles, staff, invites, customers, contacts,
addresses, API keys.

Each event's `entity` names what changed and carries its version after the change (`EntityRef.version`).
Secrets (password hashes, API key secrets, invite tokens) never travel in these.
"""

import enum
import uuid
from datetime import datetime
from typing import ClassVar, Literal

from kit.events import Event
from kit.schemas import CamelModel


class StaffRole(enum.StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class ContactRole(enum.StrEnum):
    """What a customer's person may do on the storefront; the primary customer account acts as ADMIN."""

    ADMIN = "ADMIN"
    BUYER = "BUYER"
    VIEWER = "VIEWER"


# Which storefront account acted: a customer's primary account, or one of its contacts.
AccountType = Literal["customer", "contact"]


# Companies (entity type `Company`)


class CompanyCreated(Event):
    event_type: ClassVar[str] = "CompanyCreated"

    id: uuid.UUID
    name: str
    slug: str
    currency: str
    show_prices_to_guests: bool


class CompanyUpdated(Event):
    """The whole company as it is after the change, and which fields changed."""

    event_type: ClassVar[str] = "CompanyUpdated"

    id: uuid.UUID
    name: str
    slug: str
    previous_slug: str
    currency: str
    show_prices_to_guests: bool
    # Names of the fields that changed: "name", "slug", "currency", "showPricesToGuests".
    changes: list[str]


class CompanyDeleted(Event):
    """The company is gone: every service purges every row it holds for it. Its slug is free again."""

    event_type: ClassVar[str] = "CompanyDeleted"

    id: uuid.UUID
    name: str
    slug: str
    deleted_at: datetime
    # The owner who deleted it.
    deleted_by: uuid.UUID


class OwnershipTransferred(Event):
    """Raised on the company; the two role changes it implies are raised alongside it."""

    event_type: ClassVar[str] = "OwnershipTransferred"

    from_membership_id: uuid.UUID
    to_membership_id: uuid.UUID
    from_user_id: uuid.UUID
    to_user_id: uuid.UUID


# Plans and subscriptions (entity type `Subscription`)


class PlanLimits(CamelModel):
    """A plan's limits; `null` means unlimited."""

    max_products: int | None
    max_team_members: int | None
    max_customers: int | None
    max_orders_per_month: int | None


class TrialStarted(Event):
    """A new company's trial; catalog and orders copy the limits and trial end into their read models."""

    event_type: ClassVar[str] = "TrialStarted"

    id: uuid.UUID
    plan_code: str
    status: str
    trial_ends_at: datetime | None
    limits: PlanLimits


class SubscriptionChanged(Event):
    """A plan change; catalog and orders copy the new limits, as from TrialStarted."""

    event_type: ClassVar[str] = "SubscriptionChanged"

    id: uuid.UUID
    plan_code: str
    previous_plan_code: str
    status: str
    trial_ends_at: datetime | None
    limits: PlanLimits


# Billing profiles (entity type `BillingProfile`)


class BillingProfileChanged(Event):
    """Who the company bills as, whole, after the change: set when it first chooses a plan, replaced when the
    owner changes it. Orders prints it as the seller on the invoices it issues from then on."""

    event_type: ClassVar[str] = "BillingProfileChanged"

    id: uuid.UUID
    legal_name: str
    email: str
    address_line1: str
    address_line2: str | None
    city: str
    region: str | None
    postal_code: str
    # ISO 3166-1 alpha-2.
    country: str
    tax_id: str | None
    # Names of the fields that changed ("legalName", "taxId", ...): every field when the profile is new.
    changes: list[str]


# Users (entity type `User`) and memberships (entity type `Membership`)


class UserCreated(Event):
    """Never carries the password hash: secrets do not travel in events."""

    event_type: ClassVar[str] = "UserCreated"

    id: uuid.UUID
    email: str
    name: str


class UserSignedIn(Event):
    event_type: ClassVar[str] = "UserSignedIn"

    id: uuid.UUID
    method: Literal["password"]


class MembershipCreated(Event):
    event_type: ClassVar[str] = "MembershipCreated"

    id: uuid.UUID
    user_id: uuid.UUID
    role: StaffRole


class MembershipRoleChanged(Event):
    event_type: ClassVar[str] = "MembershipRoleChanged"

    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    from_role: StaffRole
    to_role: StaffRole


class MembershipRemoved(Event):
    event_type: ClassVar[str] = "MembershipRemoved"

    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    role: StaffRole


# Team invites (entity type `Invite`); never the link's token


class InviteCreated(Event):
    event_type: ClassVar[str] = "InviteCreated"

    id: uuid.UUID
    email: str
    role: StaffRole
    expires_at: datetime


class InviteRevoked(Event):
    event_type: ClassVar[str] = "InviteRevoked"

    id: uuid.UUID
    email: str


class InviteAccepted(Event):
    event_type: ClassVar[str] = "InviteAccepted"

    id: uuid.UUID
    email: str
    user_id: uuid.UUID
    membership_id: uuid.UUID


# Customers (entity type `Customer`)


class CustomerCreated(Event):
    event_type: ClassVar[str] = "CustomerCreated"

    id: uuid.UUID
    email: str
    name: str


class CustomerUpdated(Event):
    event_type: ClassVar[str] = "CustomerUpdated"

    id: uuid.UUID
    email: str
    name: str
    # Names of the fields that changed: "email", "name".
    changes: list[str]


class CustomerDeleted(Event):
    """Its contacts and addresses went with it; consumers holding copies of them drop those too."""

    event_type: ClassVar[str] = "CustomerDeleted"

    id: uuid.UUID
    email: str
    contact_ids: list[uuid.UUID]


# Customer contacts (entity type `CustomerContact`)


class CustomerContactCreated(Event):
    event_type: ClassVar[str] = "CustomerContactCreated"

    id: uuid.UUID
    customer_id: uuid.UUID
    email: str
    name: str | None
    role: ContactRole


class CustomerContactRoleChanged(Event):
    event_type: ClassVar[str] = "CustomerContactRoleChanged"

    id: uuid.UUID
    customer_id: uuid.UUID
    email: str
    from_role: ContactRole
    to_role: ContactRole


class CustomerContactUpdated(Event):
    """A change of the contact's name; role changes have their own event."""

    event_type: ClassVar[str] = "CustomerContactUpdated"

    id: uuid.UUID
    customer_id: uuid.UUID
    name: str | None


class CustomerContactRemoved(Event):
    event_type: ClassVar[str] = "CustomerContactRemoved"

    id: uuid.UUID
    customer_id: uuid.UUID
    email: str
    role: ContactRole


# Customer addresses (entity type `Address`). Created and updated carry the whole address: the orders
# service keeps a copy to ship to.


class AddressSnapshot(Event):
    """The fields of an address as they are after the change; not an event type of its own."""

    id: uuid.UUID
    customer_id: uuid.UUID
    label: str | None
    recipient: str | None
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str
    phone: str | None
    is_default: bool


class AddressCreated(AddressSnapshot):
    event_type: ClassVar[str] = "AddressCreated"


class AddressUpdated(AddressSnapshot):
    event_type: ClassVar[str] = "AddressUpdated"


class AddressDeleted(Event):
    event_type: ClassVar[str] = "AddressDeleted"

    id: uuid.UUID
    customer_id: uuid.UUID


# API keys (entity type `ApiKey`); never the secret nor its hash


class ApiKeyCreated(Event):
    event_type: ClassVar[str] = "ApiKeyCreated"

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]


class ApiKeyRevoked(Event):
    event_type: ClassVar[str] = "ApiKeyRevoked"

    id: uuid.UUID
    name: str
    prefix: str


# Storefront accounts (entity type `Customer` or `CustomerContact`, after `accountType`)


class StorefrontPasswordSet(Event):
    event_type: ClassVar[str] = "StorefrontPasswordSet"

    account_type: AccountType
    id: uuid.UUID
    customer_id: uuid.UUID
    email: str


class StorefrontSignedIn(Event):
    event_type: ClassVar[str] = "StorefrontSignedIn"

    account_type: AccountType
    id: uuid.UUID
    customer_id: uuid.UUID
    method: str


EVENTS: tuple[type[Event], ...] = (
    CompanyCreated,
    CompanyUpdated,
    CompanyDeleted,
    OwnershipTransferred,
    TrialStarted,
    SubscriptionChanged,
    BillingProfileChanged,
    UserCreated,
    UserSignedIn,
    MembershipCreated,
    MembershipRoleChanged,
    MembershipRemoved,
    InviteCreated,
    InviteRevoked,
    InviteAccepted,
    CustomerCreated,
    CustomerUpdated,
    CustomerDeleted,
    CustomerContactCreated,
    CustomerContactRoleChanged,
    CustomerContactUpdated,
    CustomerContactRemoved,
    AddressCreated,
    AddressUpdated,
    AddressDeleted,
    ApiKeyCreated,
    ApiKeyRevoked,
    StorefrontPasswordSet,
    StorefrontSignedIn,
)
