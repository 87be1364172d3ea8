"""Deleting a company: owner only, its slug typed to confirm; at once its Redis entries go and identity's
lookups deny it, its slug is free and a tombstone stays; then every identity row of it is purged."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from contracts.identity import CompanyDeleted, StaffRole
from kit.context import RequestContext
from kit.db import commit
from services.identity.accounts.service import grant_membership
from services.identity.models import CompanyTombstone, User
from tests.identity.conftest import Identity
from tests.identity.people import (
    api_key,
    create_address,
    create_contact,
    create_customer,
    get_json,
)
from tests.identity.staff import invite, join, problem
from tests.identity.test_usage import product_created
from tests.support.api import BILLING_PROFILE
from tests.support.events import publish_event, wait_for_consumer, wait_until
from tests.support.purge import company_rows

COMPANY = "/api/v1/company"


@dataclass
class Tenant:
    """A company with a row in every identity table, and the Redis keys identity and the gateway keep of it."""

    account: dict[str, Any]
    refs: list[str]
    api_key_hash: str
    redis_keys: list[str]

    @property
    def company_id(self) -> uuid.UUID:
        return uuid.UUID(self.account["company"]["id"])

    @property
    def slug(self) -> str:
        slug: str = self.account["company"]["slug"]
        return slug


async def internal_get(identity: Identity, path: str) -> int:
    """The status of one of the gateway's lookups (which also write the entry they find)."""
    return (await identity.client.get(path, headers=identity.anonymous(internal=True))).status_code


async def add_member_of_both(identity: Identity, account: dict[str, Any], other: dict[str, Any]) -> str:
    """`other`'s owner joins `account`'s company as an ADMIN too; their membership id there."""
    async with identity.database.sessionmaker() as session:
        membership = await grant_membership(
            session,
            uuid.UUID(account["company"]["id"]),
            uuid.UUID(other["user"]["id"]),
            StaffRole.ADMIN,
            context=RequestContext(request_id="test-member-of-both"),
        )
        await commit(session)
    return str(membership.id)


async def populated_tenant(identity: Identity, account: dict[str, Any], other: dict[str, Any] | None) -> Tenant:
    owner = identity.owner_of(account)
    namespace = identity.platform.namespace
    refs = [account["membershipId"]]
    if other is not None:
        refs.append(await add_member_of_both(identity, account, other))
        refs.append((await join(identity, account, "MEMBER")).membership_id)
        await invite(identity, account)
    customer = await create_customer(identity, owner)
    contact = await create_contact(identity, owner, customer)
    await create_address(identity, owner, customer)
    refs += [customer["id"], contact["id"]]
    created_key = await identity.client.post(
        "/api/v1/api-keys", json={"name": "ERP", "scopes": ["catalog:read"]}, headers=owner
    )
    assert created_key.status_code == 201, created_key.text
    key_hash = hashlib.sha256(created_key.json()["secret"].encode()).hexdigest()
    plan = {"planCode": "growth", "billingProfile": BILLING_PROFILE}
    chosen = await identity.client.post("/api/v1/subscription", json=plan, headers=owner)
    assert chosen.status_code == 200, chosen.text
    await publish_event(identity.platform, product_created(account["company"]["id"], 3, 1))

    # What the gateway holds: each principal's entry (written by its lookup), the key's, sessions, a backoff.
    for ref in refs:
        assert await internal_get(identity, f"/internal/principals/{ref}") == 200
    assert await internal_get(identity, f"/internal/api-keys/{key_hash}") == 200
    await identity.redis.set(f"{namespace}:apikey-used:{key_hash}", "2026-01-01T00:00:00+00:00")
    sessions = [f"{namespace}:session:{uuid.UUID(ref).hex}.{secrets.token_urlsafe(32)}" for ref in refs]
    backoff = f"{namespace}:backoff:storefront:{account['company']['id']}:{secrets.token_hex(8)}:failures"
    for key in [*sessions, backoff]:
        await identity.redis.set(key, "{}")
    redis_keys = [
        f"{namespace}:storefront:{account['company']['slug']}",
        f"{namespace}:apikey:{key_hash}",
        f"{namespace}:apikey-used:{key_hash}",
        *(f"{namespace}:principal:{ref}" for ref in refs),
        *sessions,
        backoff,
    ]
    return Tenant(account=account, refs=refs, api_key_hash=key_hash, redis_keys=redis_keys)


async def existing(identity: Identity, keys: list[str]) -> list[str]:
    return [key for key in keys if await identity.redis.exists(key)]


async def delete(identity: Identity, headers: dict[str, str], confirm_slug: str) -> Any:
    return await identity.client.request("DELETE", COMPANY, json={"confirmSlug": confirm_slug}, headers=headers)


async def test_deleting_a_company_purges_it_and_leaves_another_untouched(identity: Identity) -> None:
    await wait_for_consumer(identity.platform, "identity")
    other = await populated_tenant(identity, await identity.signup(companyName="Blue Plate"), None)
    doomed = await populated_tenant(identity, await identity.signup(companyName="Acme Distributors"), other.account)
    every_table = set(await company_rows(identity.database.url, doomed.company_id))

    async def usage_recorded() -> bool:
        counts = [await company_rows(identity.database.url, tenant.company_id) for tenant in (doomed, other)]
        return all(count["usage_counters"] == 1 for count in counts)

    await wait_until(usage_recorded, what="both companies' product usage")
    others_rows = await company_rows(identity.database.url, other.company_id)
    doomed_rows = await company_rows(identity.database.url, doomed.company_id)
    # A row of the doomed company in every identity table with company rows (the kit's pending purges aside).
    assert {table for table, count in doomed_rows.items() if count} == every_table - {"company_purges"}
    assert await existing(identity, doomed.redis_keys) == doomed.redis_keys

    response = await delete(identity, identity.owner_of(doomed.account), doomed.slug)

    assert response.status_code == 202, response.text
    assert response.json()["id"] == str(doomed.company_id)
    # At once: nothing of it left in Redis, and each of the gateway's lookups denies it.
    assert await existing(identity, doomed.redis_keys) == []
    for ref in doomed.refs:
        assert await internal_get(identity, f"/internal/principals/{ref}") == 404
    assert await internal_get(identity, f"/internal/api-keys/{doomed.api_key_hash}") == 404
    assert await internal_get(identity, f"/internal/storefronts/{doomed.slug}") == 404
    assert await existing(identity, other.redis_keys) == other.redis_keys

    async def purged() -> bool:
        rows = await company_rows(identity.database.url, doomed.company_id)
        return all(count == 0 for count in rows.values())

    await wait_until(purged, within=30, what="the deleted company's rows to be purged")
    assert await company_rows(identity.database.url, other.company_id) == others_rows


async def test_a_deleted_company_leaves_a_tombstone_its_event_and_a_free_slug(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    account = await identity.signup(companyName=f"Acme Distributors {tag}")
    company_id = uuid.UUID(account["company"]["id"])

    response = await delete(identity, identity.owner_of(account), f"acme-distributors-{tag}")

    assert response.status_code == 202, response.text
    async with identity.database.sessionmaker() as session:
        tombstone = await session.get(CompanyTombstone, company_id)
    assert tombstone is not None
    assert str(tombstone.deleted_by) == account["user"]["id"]
    assert datetime.fromisoformat(response.json()["deletedAt"]) == tombstone.deleted_at
    deleted = (await identity.events(account))[-1]
    assert deleted.type == "CompanyDeleted"
    assert deleted.entity.model_dump() == {"type": "Company", "id": str(company_id), "version": 2}
    assert CompanyDeleted.model_validate(deleted.data) == CompanyDeleted(
        id=company_id,
        name=f"Acme Distributors {tag}",
        slug=f"acme-distributors-{tag}",
        deleted_at=tombstone.deleted_at,
        deleted_by=uuid.UUID(account["user"]["id"]),
    )
    again = await identity.signup(companyName=f"Acme Distributors {tag}")
    assert again["company"]["slug"] == f"acme-distributors-{tag}"


async def test_staff_of_other_companies_keep_their_accounts_and_the_rest_are_removed(identity: Identity) -> None:
    elsewhere = await identity.signup(companyName="Blue Plate")
    account = await identity.signup(companyName="Acme")
    await add_member_of_both(identity, account, elsewhere)
    only_here = await join(identity, account, "MEMBER")

    assert (await delete(identity, identity.owner_of(account), account["company"]["slug"])).status_code == 202

    async with identity.database.sessionmaker() as session:
        users = set(map(str, await session.scalars(select(User.id))))
    assert elsewhere["user"]["id"] in users
    assert account["user"]["id"] not in users
    assert only_here.user_id not in users
    me = await identity.client.get("/api/v1/me", headers=identity.owner_of(elsewhere))
    assert me.status_code == 200
    assert me.json()["company"]["id"] == elsewhere["company"]["id"]


async def test_a_wrong_slug_deletes_nothing(identity: Identity) -> None:
    account = await identity.signup(companyName="Acme")
    owner = identity.owner_of(account)
    before = len(await identity.events(account))

    response = await delete(identity, owner, account["company"]["slug"].upper())

    body = problem(response, 422)
    assert [error["field"] for error in body["errors"]] == ["confirmSlug"]
    assert (await get_json(identity, COMPANY, owner))["id"] == account["company"]["id"]
    assert len(await identity.events(account)) == before
    async with identity.database.sessionmaker() as session:
        assert await session.get(CompanyTombstone, uuid.UUID(account["company"]["id"])) is None
    assert await identity.redis.exists(identity.storefront_key(account["company"]["slug"]))


@pytest.mark.parametrize("role", ["ADMIN", "MEMBER"])
async def test_only_the_owner_deletes_the_company(identity: Identity, role: str) -> None:
    account = await identity.signup(companyName="Acme")
    staffer = await join(identity, account, role)

    response = await delete(identity, staffer.headers, account["company"]["slug"])

    problem(response, 403)
    assert (await get_json(identity, COMPANY, identity.owner_of(account)))["id"] == account["company"]["id"]


async def test_an_api_key_cannot_delete_the_company(identity: Identity) -> None:
    account = await identity.signup(companyName="Acme")
    key = api_key(identity, account, "customers:write", "catalog:write", "orders:write", "webhooks:write")

    response = await delete(identity, key, account["company"]["slug"])

    problem(response, 403)
