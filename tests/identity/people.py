"""Helpers for the customer, contact and address tests: data made through the API, callers' headers,
and what identity wrote to the principal directory."""

import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from sqlalchemy import event

from contracts.identity import StaffRole
from kit.context import Principal, RequestContext
from kit.db import commit
from kit.events import EventEnvelope
from services.identity.accounts.service import grant_membership
from services.identity.customers.repository import AddressRepository, ContactRepository
from tests.conftest import context_headers
from tests.identity.conftest import SERVICE, Company, Identity

PROBLEM = "application/problem+json"

# What the relay and the worker run on the same engine, and a new connection's own queries: not a request's.
_NOT_A_REQUESTS = ("processed_events", "company_purges", "event_bindings", "FROM outbox", "UPDATE outbox", "pg_")
# The verb and the table: a SELECT's first column names it (`SELECT customers.id, (SELECT count(*) ...`).
_STATEMENT = re.compile(
    r"^\s*(SELECT\s+(?=\w+\.)|SELECT\b.*?\bFROM\s+|INSERT INTO\s+|UPDATE\s+|DELETE FROM\s+)(\w+)", re.DOTALL
)


@contextlib.contextmanager
def statements(identity: Identity) -> Iterator[list[str]]:
    """The statements identity's requests run meanwhile, each as `VERB table` ("SELECT memberships")."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if any(part in statement for part in _NOT_A_REQUESTS):
            return
        match = _STATEMENT.match(statement)
        seen.append(f"{match.group(1).split()[0]} {match.group(2)}" if match else statement)

    engine = identity.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def company_of(account: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(account["company"]["id"])


def api_key(identity: Identity, account: dict[str, Any], *scopes: str) -> dict[str, str]:
    """Headers of an integrator's API key of `account`'s company holding `scopes`."""
    return context_headers(
        identity.signer,
        SERVICE,
        company_id=company_of(account),
        principal=Principal(type="api_key", id=uuid.uuid4(), scopes=list(scopes)),
    )


def contact_caller(identity: Identity, account: dict[str, Any], contact: dict[str, Any]) -> dict[str, str]:
    """Headers of `contact` signed in on the storefront of `account`'s company."""
    return context_headers(
        identity.signer,
        SERVICE,
        company_id=company_of(account),
        principal=Principal(
            type="contact",
            id=uuid.UUID(contact["id"]),
            role=contact["role"],
            customer_id=uuid.UUID(contact["customerId"]),
        ),
    )


def primary_caller(identity: Identity, account: dict[str, Any], customer: dict[str, Any]) -> dict[str, str]:
    """Headers of `customer`'s primary account signed in on the storefront of `account`'s company."""
    customer_id = uuid.UUID(customer["id"])
    return context_headers(
        identity.signer,
        SERVICE,
        company_id=company_of(account),
        principal=Principal(type="customer", id=customer_id, role="ADMIN", customer_id=customer_id),
    )


def customer_body(**overrides: Any) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    body: dict[str, Any] = {"email": f"buyer-{suffix}@example.com", "name": f"Blue Plate Diner {suffix}"}
    body.update(overrides)
    return body


def contact_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": f"clerk-{uuid.uuid4().hex[:8]}@example.com",
        "name": "Casey Clerk",
        "role": "BUYER",
    }
    body.update(overrides)
    return body


def address_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "label": "Warehouse",
        "recipient": "Receiving dock",
        "line1": "1 Harbour Road",
        "line2": "Unit 4",
        "city": "Portsmouth",
        "region": "Hampshire",
        "postalCode": "PO1 3AX",
        "country": "GB",
        "phone": "+44 23 9200 0000",
    }
    body.update(overrides)
    return body


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def create_customer(identity: Identity, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return created(await identity.client.post("/api/v1/customers", json=customer_body(**overrides), headers=headers))


async def create_contact(
    identity: Identity, headers: dict[str, str], customer: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    path = f"/api/v1/customers/{customer['id']}/contacts"
    return created(await identity.client.post(path, json=contact_body(**overrides), headers=headers))


async def create_address(
    identity: Identity, headers: dict[str, str], customer: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    path = f"/api/v1/customers/{customer['id']}/addresses"
    return created(await identity.client.post(path, json=address_body(**overrides), headers=headers))


async def get_json(identity: Identity, path: str, headers: dict[str, str]) -> Any:
    response = await identity.client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    return problem


def principal_key(identity: Identity, ref: str | uuid.UUID) -> str:
    return f"{identity.platform.namespace}:principal:{ref}"


async def principal_entry(identity: Identity, ref: str | uuid.UUID) -> dict[str, Any] | None:
    raw = await identity.redis.get(principal_key(identity, ref))
    if raw is None:
        return None
    entry: dict[str, Any] = json.loads(raw)
    return entry


async def events_after(identity: Identity, company: Company, count: int) -> list[EventEnvelope]:
    """The company's events raised after its first `count` ones, oldest first."""
    return (await identity.events(company))[count:]


async def add_staff(identity: Identity, account: dict[str, Any], role: StaffRole) -> dict[str, str]:
    """A new staff member of `account`'s company with `role` (a user from a signup elsewhere); their headers."""
    other = await identity.signup(companyName="Elsewhere")
    async with identity.database.sessionmaker() as session:
        await grant_membership(
            session,
            company_of(account),
            uuid.UUID(other["user"]["id"]),
            role,
            context=RequestContext(request_id="test-add-staff"),
        )
        await commit(session)
    return identity.staff(company_of(account), other["user"]["id"], role.value)


async def remaining_children(identity: Identity, account: dict[str, Any], customer_id: str) -> tuple[int, int]:
    """How many contacts and addresses of the customer are left in the database."""
    async with identity.database.sessionmaker() as session:
        contacts = await ContactRepository(session, company_of(account)).ids_for_customer(uuid.UUID(customer_id))
        addresses = len(await AddressRepository(session, company_of(account)).for_customer(uuid.UUID(customer_id)))
    return len(contacts), addresses
