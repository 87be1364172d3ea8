"""The audit log end to end: events published on RabbitMQ become entries readable through the API."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from kit.context import Principal
from kit.events import Actor, EntityRef
from services.audit.models import AuditLog, Base
from tests.audit.conftest import AuditService, envelope, staff
from tests.conftest import context_headers
from tests.support.events import dead_lettered, wait_until_drained, wait_until_processed


async def test_published_event_becomes_an_entry_with_every_field(audit: AuditService) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    event = envelope(
        company_id,
        event_type="CompanyCreated",
        actor=Actor(type="USER", id=user_id),
        data={"id": str(company_id), "name": "Acme Distributors", "slug": "acme-distributors"},
        occurred_at=datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC),
    )

    await audit.publisher.publish(event)

    [entry] = await audit.wait_for_entries(company_id, 1)
    uuid.UUID(entry["id"])
    assert entry == {
        "id": entry["id"],
        "action": "CompanyCreated",
        "entityType": "Company",
        "entityId": str(company_id),
        "actorType": "USER",
        "actorId": str(user_id),
        "ipAddress": "198.51.100.23",
        "requestId": event.request_id,
        "metadata": {"id": str(company_id), "name": "Acme Distributors", "slug": "acme-distributors"},
        "createdAt": entry["createdAt"],
    }
    assert datetime.fromisoformat(entry["createdAt"]) == event.occurred_at


async def test_api_key_actor_is_recorded_with_the_key_in_metadata(audit: AuditService) -> None:
    company_id, key_id = uuid.uuid4(), uuid.uuid4()
    event = envelope(
        company_id,
        event_type="ProductCreated",
        actor=Actor(type="SYSTEM", api_key_id=key_id),
        entity=EntityRef(type="Product", id="p-1"),
        data={"sku": "SKU-1"},
    )

    await audit.publisher.publish(event)

    [entry] = await audit.wait_for_entries(company_id, 1)
    assert entry["actorType"] == "SYSTEM"
    assert entry["actorId"] is None
    assert entry["metadata"] == {"sku": "SKU-1", "apiKeyId": str(key_id)}


async def test_an_event_delivered_twice_is_recorded_once(audit: AuditService) -> None:
    company_id = uuid.uuid4()
    event = envelope(company_id)
    marker = envelope(company_id, event_type="MarkerSeen")
    dead_before = await dead_lettered(audit.platform, "audit")

    await audit.publisher.publish(event)
    await audit.publisher.publish(event)
    await audit.publisher.publish(marker)

    await audit.wait_for_entries(company_id, 1, action="MarkerSeen")
    # One worker applies its queue in delivery order: the duplicate was handled before the marker.
    await wait_until_drained(audit.platform, "audit")
    assert await dead_lettered(audit.platform, "audit") == dead_before
    entries = await audit.entries(company_id)
    assert sorted(entry["action"] for entry in entries) == ["CompanyUpdated", "MarkerSeen"]
    async with audit.database.sessionmaker() as session:
        rows = await session.scalar(select(func.count()).where(AuditLog.event_id == event.id))
    assert rows == 1


async def test_event_without_a_company_is_consumed_but_not_audited(audit: AuditService) -> None:
    orphan = envelope(None, event_type="PlanCatalogRefreshed", entity=EntityRef(type="Plan", id="starter"))

    await audit.publisher.publish(orphan)

    await wait_until_processed(audit.database, Base.metadata, orphan)
    async with audit.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).where(AuditLog.event_id == orphan.id)) == 0


async def test_another_company_never_sees_these_entries(audit: AuditService) -> None:
    company_a, company_b = uuid.uuid4(), uuid.uuid4()
    await audit.publisher.publish(envelope(company_a, event_type="OrderPlaced"))
    await audit.publisher.publish(envelope(company_b, event_type="CustomerCreated"))

    entries_a = await audit.wait_for_entries(company_a, 1)
    entries_b = await audit.wait_for_entries(company_b, 1)

    assert [entry["action"] for entry in entries_a] == ["OrderPlaced"]
    assert [entry["action"] for entry in entries_b] == ["CustomerCreated"]
    # Even asking for A's entity by id from B's context finds nothing.
    assert await audit.entries(company_b, entityId=str(company_a)) == []


async def test_one_entry_is_readable_by_id_only_by_its_company(audit: AuditService) -> None:
    company_a, company_b = uuid.uuid4(), uuid.uuid4()
    await audit.publisher.publish(envelope(company_a, event_type="CompanyUpdated"))
    [entry] = await audit.wait_for_entries(company_a, 1)

    own = await audit.client.get(f"/api/v1/audit-logs/{entry['id']}", headers=audit.headers(company_a))
    assert own.status_code == 200
    assert own.json() == entry

    stolen = await audit.client.get(f"/api/v1/audit-logs/{entry['id']}", headers=audit.headers(company_b))
    assert stolen.status_code == 404
    assert stolen.headers["content-type"] == "application/problem+json"
    unknown = await audit.client.get(f"/api/v1/audit-logs/{uuid.uuid4()}", headers=audit.headers(company_a))
    assert unknown.status_code == 404
    malformed = await audit.client.get("/api/v1/audit-logs/not-a-uuid", headers=audit.headers(company_a))
    assert malformed.status_code == 422


async def test_pages_walk_every_entry_newest_first_without_overlap(audit: AuditService) -> None:
    company_id = uuid.uuid4()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = [envelope(company_id, occurred_at=start + timedelta(minutes=n)) for n in range(7)]
    # Two entries at the same instant: the id breaks the tie, and neither is skipped or repeated.
    events.append(envelope(company_id, occurred_at=start + timedelta(minutes=3)))
    for event in events:
        await audit.publisher.publish(event)
    await audit.wait_for_entries(company_id, len(events))

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = await audit.client.get("/api/v1/audit-logs", params=params, headers=audit.headers(company_id))
        assert response.status_code == 200
        body = response.json()
        assert len(body["items"]) <= 3
        seen.extend(body["items"])
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break

    assert pages == 3
    assert len({entry["id"] for entry in seen}) == len(seen) == len(events)
    created = [datetime.fromisoformat(entry["createdAt"]) for entry in seen]
    assert created == sorted(created, reverse=True)
    assert created[0] == start + timedelta(minutes=6)


async def test_default_page_size_is_fifty(audit: AuditService) -> None:
    company_id = uuid.uuid4()
    for _ in range(51):
        await audit.publisher.publish(envelope(company_id))
    await audit.wait_for_entries(company_id, 51)

    response = await audit.client.get("/api/v1/audit-logs", headers=audit.headers(company_id))

    assert len(response.json()["items"]) == 50
    assert response.json()["nextCursor"] is not None


async def test_filters_narrow_the_log(audit: AuditService) -> None:
    company_id, user_id, customer_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    start = datetime(2026, 2, 1, tzinfo=UTC)
    product = EntityRef(type="Product", id=str(uuid.uuid4()))
    await audit.publisher.publish(
        envelope(company_id, event_type="CompanyUpdated", actor=Actor(type="USER", id=user_id), occurred_at=start)
    )
    await audit.publisher.publish(
        envelope(
            company_id,
            event_type="ProductCreated",
            entity=product,
            actor=Actor(type="USER", id=user_id),
            occurred_at=start + timedelta(hours=1),
        )
    )
    await audit.publisher.publish(
        envelope(
            company_id,
            event_type="OrderPlaced",
            entity=EntityRef(type="Order", id="o-1"),
            actor=Actor(type="CUSTOMER", id=customer_id),
            occurred_at=start + timedelta(hours=2),
        )
    )
    await audit.wait_for_entries(company_id, 3)

    async def actions(**params: Any) -> list[str]:
        return [entry["action"] for entry in await audit.entries(company_id, **params)]

    assert await actions(action="ProductCreated") == ["ProductCreated"]
    assert await actions(entityType="Order") == ["OrderPlaced"]
    assert await actions(entityId=product.id) == ["ProductCreated"]
    assert await actions(actorType="CUSTOMER") == ["OrderPlaced"]
    assert await actions(actorId=str(user_id)) == ["ProductCreated", "CompanyUpdated"]
    assert await actions(**{"from": (start + timedelta(hours=1)).isoformat()}) == ["OrderPlaced", "ProductCreated"]
    assert await actions(to=(start + timedelta(hours=1)).isoformat()) == ["CompanyUpdated"]
    # Without an offset, a timestamp is read as UTC.
    assert await actions(**{"from": "2026-02-01T00:30:00", "to": "2026-02-01T01:30:00"}) == ["ProductCreated"]
    assert await actions(actorType="USER", action="OrderPlaced") == []


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"actorType": "ROBOT"}, 422, "actorType"),
        ({"actorId": "not-a-uuid"}, 422, "actorId"),
        ({"from": "yesterday"}, 422, "from"),
        ({"to": "2026-13-45"}, 422, "to"),
        ({"limit": 0}, 422, "limit"),
        ({"limit": 201}, 422, "limit"),
        ({"cursor": "not-a-cursor"}, 400, "cursor"),
        ({"from": "2026-02-02T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, 400, "from"),
    ],
)
async def test_bad_query_values_are_refused_as_problems(
    audit: AuditService, params: dict[str, Any], status: int, field: str
) -> None:
    response = await audit.client.get("/api/v1/audit-logs", params=params, headers=audit.headers(uuid.uuid4()))

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_a_forged_cursor_is_refused_not_a_server_error(audit: AuditService) -> None:
    # A well-formed cursor with a timestamp that has no offset: the API never issues one.
    from kit.pagination import encode_cursor

    cursor = encode_cursor("2026-01-01T00:00:00", uuid.uuid4())

    response = await audit.client.get(
        "/api/v1/audit-logs", params={"cursor": cursor}, headers=audit.headers(uuid.uuid4())
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "principal",
    [
        Principal(type="user", id=uuid.uuid4(), role="OWNER"),
        Principal(type="user", id=uuid.uuid4(), role="ADMIN"),
        Principal(type="api_key", id=uuid.uuid4(), scopes=["catalog:read", "audit:read"]),
    ],
    ids=["owner", "admin", "api-key-with-audit-read"],
)
async def test_owners_admins_and_audit_keys_may_read(audit: AuditService, principal: Principal) -> None:
    company_id = uuid.uuid4()
    await audit.publisher.publish(envelope(company_id))
    await audit.wait_for_entries(company_id, 1)

    response = await audit.client.get("/api/v1/audit-logs", headers=audit.headers(company_id, principal))

    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


@pytest.mark.parametrize(
    "principal",
    [
        staff(uuid.uuid4(), "MEMBER"),
        Principal(type="api_key", id=uuid.uuid4(), scopes=["catalog:read", "orders:write"]),
        Principal(type="customer", id=uuid.uuid4(), role="ADMIN", customer_id=uuid.uuid4()),
        Principal(type="contact", id=uuid.uuid4(), role="ADMIN", customer_id=uuid.uuid4()),
    ],
    ids=["member", "api-key-without-audit-read", "customer", "contact"],
)
async def test_everyone_else_is_forbidden(audit: AuditService, principal: Principal) -> None:
    response = await audit.client.get("/api/v1/audit-logs", headers=audit.headers(uuid.uuid4(), principal))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 403


async def test_a_request_without_context_is_refused(audit: AuditService) -> None:
    response = await audit.client.get("/api/v1/audit-logs")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_context_without_a_company_is_refused(audit: AuditService) -> None:
    response = await audit.client.get("/api/v1/audit-logs", headers=audit.headers(None))

    assert response.status_code == 401


async def test_a_context_addressed_to_another_service_is_refused(audit: AuditService) -> None:
    headers = context_headers(audit.signer, "identity", company_id=uuid.uuid4(), principal=staff(uuid.uuid4(), "OWNER"))

    response = await audit.client.get("/api/v1/audit-logs", headers=headers)

    assert response.status_code == 401


async def test_service_is_ready_with_its_database_and_broker(audit: AuditService) -> None:
    response = await audit.client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
