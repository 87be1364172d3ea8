"""API keys: issued with their secret once, listed with last use, revoked at once; the gateway's directory."""

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from kit.db import utcnow
from services.identity.api_keys.schemas import SCOPES
from tests.identity.conftest import Identity
from tests.identity.staff import api_keys, join, problem


def _directory_key(identity: Identity, secret_hash: str) -> str:
    return f"{identity.platform.namespace}:apikey:{secret_hash}"


def _used_key(identity: Identity, secret_hash: str) -> str:
    return f"{identity.platform.namespace}:apikey-used:{secret_hash}"


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(
    identity: Identity,
    account: dict[str, Any],
    *,
    name: str = "ERP sync",
    scopes: tuple[str, ...] = ("orders:read", "catalog:write"),
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await identity.client.post(
        "/api/v1/api-keys", json={"name": name, "scopes": list(scopes)}, headers=headers or identity.owner_of(account)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_twelve_scopes_read_and_write_for_six_resources() -> None:
    resources = ("catalog", "customers", "orders", "documents", "webhooks", "audit")
    assert sorted(SCOPES) == sorted(f"{resource}:{access}" for resource in resources for access in ("read", "write"))


async def test_a_new_key_shows_its_secret_once_and_stores_only_its_hash(identity: Identity) -> None:
    account = await identity.signup()

    created = await create_key(identity, account, name="  ERP sync ")

    assert set(created) == {"id", "name", "prefix", "scopes", "createdAt", "lastUsedAt", "secret"}
    secret = created["secret"]
    assert secret.startswith("dk_")
    assert len(secret) >= 46
    assert created["prefix"] == secret[:11]
    assert (created["name"], created["scopes"], created["lastUsedAt"]) == (
        "ERP sync",
        ["orders:read", "catalog:write"],
        None,
    )
    [stored] = await api_keys(identity, account)
    assert stored.secret_hash == _sha256(secret)
    assert str(stored.created_by_user_id) == account["user"]["id"]
    columns = [str(getattr(stored, column.key)) for column in stored.__table__.columns]
    assert not [value for value in columns if secret in value]
    listed = await identity.client.get("/api/v1/api-keys", headers=identity.owner_of(account))
    assert secret not in listed.text


async def test_a_new_key_raises_api_key_created_without_its_secret(identity: Identity) -> None:
    account = await identity.signup()

    created = await create_key(identity, account, scopes=("customers:read",))

    envelope = (await identity.events(account))[-1]
    assert envelope.type == "ApiKeyCreated"
    assert envelope.entity.model_dump() == {"type": "ApiKey", "id": created["id"], "version": 1}
    assert envelope.data == {
        "id": created["id"],
        "name": "ERP sync",
        "prefix": created["prefix"],
        "scopes": ["customers:read"],
    }
    assert (envelope.actor.type, str(envelope.actor.id)) == ("USER", account["user"]["id"])
    dumped = envelope.model_dump_json()
    assert created["secret"] not in dumped
    assert _sha256(created["secret"]) not in dumped


async def test_a_new_key_is_in_the_directory_for_the_gateway(identity: Identity) -> None:
    account = await identity.signup()

    created = await create_key(identity, account)

    key = _directory_key(identity, _sha256(created["secret"]))
    entry = await identity.redis.get(key)
    assert entry is not None
    assert json.loads(entry) == {
        "id": created["id"],
        "companyId": account["company"]["id"],
        "name": "ERP sync",
        "scopes": ["orders:read", "catalog:write"],
    }
    assert 0 < await identity.redis.ttl(key) <= 15 * 60


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Bad", "scopes": ["orders:delete"]}, "scopes.0"),
        ({"name": "Bad", "scopes": ["orders:read", "everything"]}, "scopes.1"),
        ({"name": "Bad", "scopes": []}, "scopes"),
        ({"name": "Bad", "scopes": ["orders:read", "orders:read"]}, "scopes"),
        ({"name": "Bad"}, "scopes"),
        ({"name": "  ", "scopes": ["orders:read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["orders:read"]}, "name"),
    ],
)
async def test_a_malformed_key_is_refused(identity: Identity, body: dict[str, Any], field: str) -> None:
    account = await identity.signup()
    before = await identity.row_counts(account)

    response = await identity.client.post("/api/v1/api-keys", json=body, headers=identity.owner_of(account))

    assert [error["field"] for error in problem(response, 422)["errors"]] == [field]
    assert await api_keys(identity, account) == []
    assert await identity.row_counts(account) == before


async def test_keys_list_active_ones_newest_first_with_their_creator(identity: Identity) -> None:
    account = await identity.signup(name="Ada Owner")
    admin = await join(identity, account, "ADMIN")
    older = await create_key(identity, account, name="Older")
    newer = await create_key(identity, account, name="Newer", scopes=("audit:read",), headers=admin.headers)
    revoked = await create_key(identity, account, name="Revoked")
    await identity.client.delete(f"/api/v1/api-keys/{revoked['id']}", headers=identity.owner_of(account))

    response = await identity.client.get("/api/v1/api-keys", headers=identity.owner_of(account))

    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["id"] for item in items] == [newer["id"], older["id"]]
    assert items[0] == {
        "id": newer["id"],
        "name": "Newer",
        "prefix": newer["prefix"],
        "scopes": ["audit:read"],
        "createdAt": newer["createdAt"],
        "createdBy": {"id": admin.user_id, "name": "Nia Newcomer"},
        "lastUsedAt": None,
    }
    assert items[1]["createdBy"] == {"id": account["user"]["id"], "name": "Ada Owner"}


async def test_keys_list_in_pages(identity: Identity) -> None:
    account = await identity.signup()
    first_key = await create_key(identity, account, name="First")
    second_key = await create_key(identity, account, name="Second")
    headers = identity.owner_of(account)

    first = await identity.client.get("/api/v1/api-keys", params={"limit": 1}, headers=headers)
    second = await identity.client.get(
        "/api/v1/api-keys", params={"limit": 1, "cursor": first.json()["nextCursor"]}, headers=headers
    )
    bad = await identity.client.get("/api/v1/api-keys", params={"cursor": "junk"}, headers=headers)

    assert [item["id"] for item in first.json()["items"]] == [second_key["id"]]
    assert [item["id"] for item in second.json()["items"]] == [first_key["id"]]
    assert second.json()["nextCursor"] is None
    problem(bad, 400)


async def test_last_use_recorded_by_the_gateway_shows_and_is_kept(identity: Identity) -> None:
    account = await identity.signup()
    created = await create_key(identity, account)
    used_at = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    used_key = _used_key(identity, _sha256(created["secret"]))
    await identity.redis.set(used_key, used_at.isoformat(), ex=60)

    listed = await identity.client.get("/api/v1/api-keys", headers=identity.owner_of(account))

    assert datetime.fromisoformat(listed.json()["items"][0]["lastUsedAt"]) == used_at
    [stored] = await api_keys(identity, account)
    assert stored.last_used_at == used_at
    # An older record in Redis (say, restored from a backup) never moves the time back.
    await identity.redis.set(used_key, (used_at - timedelta(days=1)).isoformat(), ex=60)
    again = await identity.client.get("/api/v1/api-keys", headers=identity.owner_of(account))
    assert datetime.fromisoformat(again.json()["items"][0]["lastUsedAt"]) == used_at


async def test_revoking_a_key_removes_it_from_the_directory_and_the_list(identity: Identity) -> None:
    account = await identity.signup()
    created = await create_key(identity, account)
    secret_hash = _sha256(created["secret"])

    response = await identity.client.delete(f"/api/v1/api-keys/{created['id']}", headers=identity.owner_of(account))

    assert response.status_code == 204
    assert await identity.redis.get(_directory_key(identity, secret_hash)) is None
    [stored] = await api_keys(identity, account)
    assert stored.revoked_at is not None
    listed = await identity.client.get("/api/v1/api-keys", headers=identity.owner_of(account))
    assert listed.json()["items"] == []
    lookup = await identity.client.get(f"/internal/api-keys/{secret_hash}", headers=identity.anonymous(internal=True))
    problem(lookup, 404)
    assert await identity.redis.get(_directory_key(identity, secret_hash)) is None


async def test_revoking_a_key_raises_api_key_revoked(identity: Identity) -> None:
    account = await identity.signup()
    created = await create_key(identity, account)

    await identity.client.delete(f"/api/v1/api-keys/{created['id']}", headers=identity.owner_of(account))

    envelope = (await identity.events(account))[-1]
    assert envelope.type == "ApiKeyRevoked"
    assert envelope.entity.model_dump() == {"type": "ApiKey", "id": created["id"], "version": 2}
    assert envelope.data == {"id": created["id"], "name": "ERP sync", "prefix": created["prefix"]}
    assert str(envelope.actor.id) == account["user"]["id"]


async def test_revoked_and_other_companies_keys_are_not_found(identity: Identity) -> None:
    account = await identity.signup()
    other = await identity.signup(companyName="Other Co")
    headers = identity.owner_of(account)
    revoked = await create_key(identity, account)
    await identity.client.delete(f"/api/v1/api-keys/{revoked['id']}", headers=headers)
    theirs = await create_key(identity, other)
    events_before = len(await identity.events(account))

    for key_id in (revoked["id"], theirs["id"], str(uuid.uuid4())):
        response = await identity.client.delete(f"/api/v1/api-keys/{key_id}", headers=headers)
        assert problem(response, 404)["detail"] == "API key not found."
    assert len(await identity.events(account)) == events_before
    [their_key] = await api_keys(identity, other)
    assert their_key.revoked_at is None
    assert await identity.redis.get(_directory_key(identity, _sha256(theirs["secret"]))) is not None


async def test_members_cannot_manage_keys_but_admins_can(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "MEMBER")
    admin = await join(identity, account, "ADMIN")
    existing = await create_key(identity, account)

    created = await identity.client.post(
        "/api/v1/api-keys", json={"name": "Mine", "scopes": ["orders:read"]}, headers=member.headers
    )
    listed = await identity.client.get("/api/v1/api-keys", headers=member.headers)
    revoked = await identity.client.delete(f"/api/v1/api-keys/{existing['id']}", headers=member.headers)
    by_admin = await identity.client.delete(f"/api/v1/api-keys/{existing['id']}", headers=admin.headers)

    for response in (created, listed, revoked):
        problem(response, 403)
    assert by_admin.status_code == 204
    assert str((await identity.events(account))[-1].actor.id) == admin.user_id


async def test_the_gateway_lookup_answers_an_active_key_and_heals_its_entry(identity: Identity) -> None:
    account = await identity.signup()
    created = await create_key(identity, account, scopes=("documents:read",))
    secret_hash = _sha256(created["secret"])
    await identity.redis.delete(_directory_key(identity, secret_hash))

    response = await identity.client.get(f"/internal/api-keys/{secret_hash}", headers=identity.anonymous(internal=True))

    expected = {
        "id": created["id"],
        "companyId": account["company"]["id"],
        "name": "ERP sync",
        "scopes": ["documents:read"],
    }
    assert response.status_code == 200
    assert response.json() == expected
    entry = await identity.redis.get(_directory_key(identity, secret_hash))
    assert entry is not None
    assert json.loads(entry) == expected


async def test_the_gateway_lookup_of_an_unknown_hash_is_not_found(identity: Identity) -> None:
    unknown = _sha256("dk_never-issued")

    response = await identity.client.get(f"/internal/api-keys/{unknown}", headers=identity.anonymous(internal=True))

    problem(response, 404)
    assert await identity.redis.get(_directory_key(identity, unknown)) is None


async def test_the_gateway_lookup_needs_the_internal_context(identity: Identity) -> None:
    account = await identity.signup()
    created = await create_key(identity, account)

    response = await identity.client.get(f"/internal/api-keys/{_sha256(created['secret'])}")

    problem(response, 401)
