"""Rules of orders' directory: apply identity's facts once, the newest version of each entity wins, a deletion
is final (it is the entity's highest version and stays as a tombstone). And the reads placing an order needs:
a live customer, its addresses, the name of whoever acts."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import (
    AddressCreated,
    AddressDeleted,
    AddressSnapshot,
    AddressUpdated,
    ApiKeyCreated,
    ApiKeyRevoked,
    CustomerContactCreated,
    CustomerContactRemoved,
    CustomerContactRoleChanged,
    CustomerContactUpdated,
    CustomerCreated,
    CustomerDeleted,
    CustomerUpdated,
    InviteAccepted,
    UserCreated,
)
from kit.consumer import newest_per_entity
from kit.context import Principal
from kit.db import ReadOnlySession, utcnow
from kit.events import EventEnvelope
from services.orders.directory import repository
from services.orders.directory.repository import CustomerReader, PersonReader
from services.orders.models import Customer, PersonKind
from services.orders.tenants.service import company_id_of, read_model_row

# -- identity's events ------------------------------------------------------------------------------


async def record_customers(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Each customer's newest event of the batch, in one statement. A deleted customer keeps no name or
    email; its addresses and contacts are marked deleted with it (identity deletes them without events)."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    deletions: list[dict[str, Any]] = []
    for envelope in newest_per_entity(events):
        row = read_model_row(envelope, now)
        company_id = row["company_id"]
        if envelope.type == CustomerDeleted.event_type:
            removal = CustomerDeleted.model_validate(envelope.data)
            row |= {"id": removal.id, "name": None, "email": None, "deleted_at": envelope.occurred_at}
            deletions.append(
                {"company_id": company_id, "customer_id": removal.id, "deleted_at": envelope.occurred_at, "now": now}
            )
        else:
            event_class = CustomerCreated if envelope.type == CustomerCreated.event_type else CustomerUpdated
            customer = event_class.model_validate(envelope.data)
            row |= {"id": customer.id, "name": customer.name, "email": customer.email, "deleted_at": None}
        rows.append(row)
    await repository.apply_customer_states(session, rows)
    await repository.tombstone_customer_belongings(session, deletions)


ADDRESS_SNAPSHOTS: dict[str, type[AddressSnapshot]] = {
    event.event_type: event for event in (AddressCreated, AddressUpdated)
}


def address_fields(address: AddressSnapshot) -> dict[str, Any]:
    """The address as the API shows it (and as an order copies it), with whether it is the default."""
    return {
        "label": address.label,
        "recipient": address.recipient,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postalCode": address.postal_code,
        "country": address.country,
        "phone": address.phone,
        "isDefault": address.is_default,
    }


async def record_addresses(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Each address's newest event of the batch; created and updated carry the whole address."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for envelope in newest_per_entity(events):
        row = read_model_row(envelope, now)
        if envelope.type == AddressDeleted.event_type:
            removal = AddressDeleted.model_validate(envelope.data)
            row |= {
                "id": removal.id,
                "customer_id": removal.customer_id,
                "fields": None,
                "deleted_at": envelope.occurred_at,
            }
        else:
            address = ADDRESS_SNAPSHOTS[envelope.type].model_validate(envelope.data)
            row |= {
                "id": address.id,
                "customer_id": address.customer_id,
                "fields": address_fields(address),
                "deleted_at": None,
            }
        rows.append(row)
    await repository.apply_address_states(session, rows)


# Contact events carrying the contact's name (a removal clears it); the role change carries only the email.
_NAMING_CONTACT_EVENTS = frozenset(
    {CustomerContactCreated.event_type, CustomerContactUpdated.event_type, CustomerContactRemoved.event_type}
)


async def record_contacts(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """A contact's name follows its newest naming event (created, updated, removed); its email, which
    never changes, comes with whichever event carries it first (created or a role change)."""
    now = utcnow()
    with_email: list[dict[str, Any]] = []
    without_email: list[dict[str, Any]] = []
    for envelope in newest_per_entity(e for e in events if e.type in _NAMING_CONTACT_EVENTS):
        row: dict[str, Any] = _person_row(envelope, PersonKind.CONTACT, now)
        if envelope.type == CustomerContactCreated.event_type:
            created = CustomerContactCreated.model_validate(envelope.data)
            with_email.append(
                row
                | {
                    "id": created.id,
                    "customer_id": created.customer_id,
                    "name": created.name,
                    "email": created.email,
                    "deleted_at": None,
                }
            )
        elif envelope.type == CustomerContactUpdated.event_type:
            updated = CustomerContactUpdated.model_validate(envelope.data)
            without_email.append(
                row | {"id": updated.id, "customer_id": updated.customer_id, "name": updated.name, "deleted_at": None}
            )
        else:
            removed = CustomerContactRemoved.model_validate(envelope.data)
            with_email.append(
                row
                | {
                    "id": removed.id,
                    "customer_id": removed.customer_id,
                    "name": None,
                    "email": None,
                    "deleted_at": envelope.occurred_at,
                }
            )
    await repository.apply_person_states(session, with_email)
    await repository.apply_person_states(session, without_email)

    emails: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
    for envelope in events:
        if envelope.type not in (CustomerContactCreated.event_type, CustomerContactRoleChanged.event_type):
            continue
        contact = (
            CustomerContactCreated if envelope.type == CustomerContactCreated.event_type else CustomerContactRoleChanged
        ).model_validate(envelope.data)
        row = _unversioned_person(company_id_of(envelope), contact.id, PersonKind.CONTACT, now)
        emails[(contact.id, row["company_id"])] = row | {"email": contact.email, "customer_id": contact.customer_id}
    await repository.add_people_with_email(session, list(emails.values()))


async def record_users(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """A new user, by name, in the company they signed up or were invited to (an event without a company,
    if any, names no one orders will see)."""
    now = utcnow()
    rows = []
    for envelope in newest_per_entity(e for e in events if e.company_id is not None):
        user = UserCreated.model_validate(envelope.data)
        rows.append(
            _person_row(envelope, PersonKind.USER, now)
            | {"id": user.id, "name": user.name, "email": user.email, "customer_id": None, "deleted_at": None}
        )
    await repository.apply_person_states(session, rows)


async def record_joined_users(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """A user who joined a company by invite. A new account's UserCreated names them; an existing account
    raises none here, so the row takes the name the user has in another company, if orders knows it. The
    invite's version is not the user's: the row is inserted at version 0, and never overwrites one stored."""
    now = utcnow()
    joined: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
    for envelope in events:
        accepted = InviteAccepted.model_validate(envelope.data)
        row = _unversioned_person(company_id_of(envelope), accepted.user_id, PersonKind.USER, now)
        joined[(accepted.user_id, row["company_id"])] = row | {"email": accepted.email, "customer_id": None}
    names = await repository.names_of_users(session, [user_id for user_id, _company in joined])
    await repository.add_missing_people(session, [row | {"name": names.get(row["id"])} for row in joined.values()])


async def record_api_keys(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """An API key by name; a revoked one keeps it (orders it placed still name it)."""
    now = utcnow()
    rows = []
    for envelope in newest_per_entity(events):
        revoked = envelope.type == ApiKeyRevoked.event_type
        key = (ApiKeyRevoked if revoked else ApiKeyCreated).model_validate(envelope.data)
        deleted_at = envelope.occurred_at if revoked else None
        rows.append(
            _person_row(envelope, PersonKind.API_KEY, now)
            | {"id": key.id, "name": key.name, "email": None, "customer_id": None, "deleted_at": deleted_at}
        )
    await repository.apply_person_states(session, rows)


def _person_row(envelope: EventEnvelope, kind: PersonKind, now: datetime) -> dict[str, Any]:
    return read_model_row(envelope, now) | {"kind": kind}


def _unversioned_person(company_id: uuid.UUID, person_id: uuid.UUID, kind: PersonKind, now: datetime) -> dict[str, Any]:
    return {
        "id": person_id,
        "company_id": company_id,
        "kind": kind,
        "name": None,
        "deleted_at": None,
        "version": 0,
        "updated_at": now,
    }


# -- reads ------------------------------------------------------------------------------------------


async def live_customer(session: ReadOnlySession, company_id: uuid.UUID, customer_id: uuid.UUID) -> Customer | None:
    """The company's customer, unless identity deleted it or orders has not heard of it yet."""
    return await CustomerReader(session, company_id).get_live(customer_id)


def order_address(fields: dict[str, Any]) -> dict[str, Any]:
    """A stored address as an order copies it: label, recipient, line1, line2, city, region, postalCode,
    country, phone (not whether it is the customer's default)."""
    return {name: value for name, value in fields.items() if name != "isDefault"}


async def customer_addresses(
    session: ReadOnlySession, company_id: uuid.UUID, customer_id: uuid.UUID
) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    """The live customer's live addresses (the API's fields and isDefault), the default first, then oldest first."""
    addresses = await repository.live_addresses(session, company_id, customer_id)
    return sorted(addresses, key=lambda address: not address[1].get("isDefault", False))


_PERSON_KINDS: dict[str, PersonKind] = {
    "user": PersonKind.USER,
    "contact": PersonKind.CONTACT,
    "api_key": PersonKind.API_KEY,
}


def actor_person(principal: Principal) -> tuple[uuid.UUID, PersonKind] | None:
    """The people row that names `principal`: a staff user, an API key or a contact (None for anyone else)."""
    kind = _PERSON_KINDS.get(principal.type)
    return None if kind is None or principal.id is None else (principal.id, kind)


async def actor_name(session: ReadOnlySession, company_id: uuid.UUID, principal: Principal) -> str | None:
    """The name of whoever acts, as orders records it: a staff user's or an API key's name, a customer's
    name, a contact's name or else email. None for anyone orders does not know (yet)."""
    if principal.id is None:
        return None
    if principal.type == "customer":
        customer = await CustomerReader(session, company_id).get(principal.id)
        return None if customer is None else customer.name
    person_key = actor_person(principal)
    if person_key is None:
        return None
    person = await PersonReader(session, company_id).get_kind(*person_key)
    if person is None:
        return None
    return person.name or person.email
