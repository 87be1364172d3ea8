"""The Redis entries identity writes are exactly what the gateway reads: each read back through the
gateway's own readers, from Redis, and from identity's lookup (the real service) after a miss."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import BaseModel

from contracts.redis import ApiKeyEntry, PrincipalEntry, StorefrontEntry
from gateway.api_keys import ApiKeyDirectory, secret_hash
from gateway.sessions import SessionStore
from gateway.storefronts import StorefrontDirectory
from gateway.upstreams import Upstreams
from services.identity.accounts.principals import PrincipalDirectory
from services.identity.companies.directory import StorefrontDirectory as CompanyStorefronts
from tests.identity.conftest import Identity


@pytest.fixture
async def upstreams(identity: Identity) -> AsyncIterator[Upstreams]:
    """The gateway's clients, with identity the real service in-process."""
    assert identity.app is not None
    transport = httpx.ASGITransport(app=identity.app)
    clients = Upstreams({"identity": "http://identity"}, identity.signer, transports={"identity": transport})
    yield clients
    await clients.close()


async def written(identity: Identity, key: str, model: type[BaseModel]) -> str:
    """The raw entry at `key`, after checking it holds the contract's fields and nothing else."""
    raw = await identity.redis.get(key)
    assert raw is not None, key
    assert model.model_validate_json(raw).model_dump(mode="json", by_alias=True) == json.loads(raw)
    return str(raw)


async def test_a_staff_session_reads_the_principal_entry_identity_writes(
    identity: Identity, upstreams: Upstreams
) -> None:
    account = await identity.signup()
    namespace = identity.platform.namespace
    ref = uuid.UUID(account["membershipId"])
    await written(identity, f"{namespace}:principal:{ref}", PrincipalEntry)
    sessions = SessionStore(identity.redis, namespace, idle=timedelta(minutes=5), absolute=timedelta(hours=1))
    session = await sessions.create(
        kind="staff",
        ref=ref,
        principal_type="user",
        principal_id=uuid.UUID(account["user"]["id"]),
        company_id=uuid.UUID(account["company"]["id"]),
    )

    loaded = await sessions.load(session.token, "staff")
    answer = await upstreams.call_internal("identity", "GET", f"/internal/principals/{ref}", "test")

    assert loaded is not None
    assert loaded.entry is not None
    assert loaded.session.matches(loaded.entry)
    assert loaded.entry.role == "OWNER"
    assert PrincipalEntry.model_validate(answer.json()) == loaded.entry


async def test_an_api_key_reads_the_entry_identity_writes_and_its_lookup_after_a_miss(
    identity: Identity, upstreams: Upstreams
) -> None:
    account = await identity.signup()
    created = await identity.client.post(
        "/api/v1/api-keys",
        json={"name": "ERP", "scopes": ["catalog:read", "orders:write"]},
        headers=identity.owner_of(account),
    )
    secret = created.json()["secret"]
    directory = ApiKeyDirectory(identity.redis, identity.platform.namespace, upstreams)
    await written(identity, directory.key(secret_hash(secret)), ApiKeyEntry)

    from_redis = await directory.authenticate(secret, "test")
    await identity.redis.delete(directory.key(secret_hash(secret)))
    from_identity = await directory.authenticate(secret, "test")

    expected = ApiKeyEntry(
        id=uuid.UUID(created.json()["id"]),
        company_id=uuid.UUID(account["company"]["id"]),
        name="ERP",
        scopes=["catalog:read", "orders:write"],
    )
    assert from_redis == from_identity == expected
    # The lookup wrote the entry again.
    await written(identity, directory.key(secret_hash(secret)), ApiKeyEntry)


async def test_a_storefront_reads_the_entry_identity_writes_and_its_lookup_after_a_miss(
    identity: Identity, upstreams: Upstreams
) -> None:
    tag = uuid.uuid4().hex[:8]
    account = await identity.signup(companyName=f"Blue Plate {tag}")
    slug = f"blue-plate-{tag}"
    directory = StorefrontDirectory(identity.redis, identity.platform.namespace, upstreams)
    await written(identity, directory.key(slug), StorefrontEntry)

    from_redis = await directory.resolve(slug, "test")
    await identity.redis.delete(directory.key(slug))
    from_identity = await directory.resolve(slug, "test")

    expected = StorefrontEntry(
        company_id=uuid.UUID(account["company"]["id"]), name=f"Blue Plate {tag}", slug=slug, version=1
    )
    assert from_redis == from_identity == expected
    await written(identity, directory.key(slug), StorefrontEntry)


async def test_a_late_write_of_an_older_version_never_replaces_a_newer_entry(identity: Identity) -> None:
    account = await identity.signup(companyName="Acme")
    owner = identity.owner_of(account)
    assert identity.app is not None
    storefronts: CompanyStorefronts = identity.app.state.storefront_directory
    principals: PrincipalDirectory = identity.app.state.principal_directory
    company_id = uuid.UUID(account["company"]["id"])
    assert (await identity.client.patch("/api/v1/company", json={"name": "Acme Two"}, headers=owner)).status_code == 200
    membership = uuid.UUID(account["membershipId"])
    newer_role = PrincipalEntry(
        ref=membership, type="user", id=uuid.UUID(account["user"]["id"]), company_id=company_id, role="OWNER", version=3
    )
    await principals.publish(newer_role)

    # As if the writes of earlier commits landed only now.
    slug = account["company"]["slug"]
    await storefronts.publish(StorefrontEntry(company_id=company_id, name="Acme", slug=slug, version=1))
    await principals.publish(newer_role.model_copy(update={"role": "ADMIN", "version": 2}))

    storefront = StorefrontEntry.model_validate_json(await written(identity, storefronts.key(slug), StorefrontEntry))
    principal = PrincipalEntry.model_validate_json(await written(identity, principals.key(membership), PrincipalEntry))
    assert (storefront.name, storefront.version) == ("Acme Two", 2)
    assert (principal.role, principal.version) == ("OWNER", 3)


async def test_a_stale_previous_slug_taken_by_another_company_keeps_resolving_there(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    first = await identity.signup(companyName=f"Acme {tag}")
    slug = f"acme-{tag}"
    assert first["company"]["slug"] == slug
    assert identity.app is not None
    storefronts: CompanyStorefronts = identity.app.state.storefront_directory
    renamed = await identity.client.patch(
        "/api/v1/company", json={"slug": f"{slug}-two"}, headers=identity.owner_of(first)
    )
    assert renamed.status_code == 200
    second = await identity.signup(companyName=f"Acme {tag}")
    assert second["company"]["slug"] == slug

    # The first company's rename, written again late: its previous slug now belongs to the second.
    await storefronts.publish(
        StorefrontEntry(
            company_id=uuid.UUID(first["company"]["id"]), name=f"Acme {tag}", slug=f"{slug}-two", version=2
        ),
        previous_slug=slug,
    )

    taken = StorefrontEntry.model_validate_json(await written(identity, storefronts.key(slug), StorefrontEntry))
    assert taken.company_id == uuid.UUID(second["company"]["id"])
