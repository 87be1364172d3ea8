"""The signed-in company: who am I, company settings, slug changes and the storefront directory."""

import asyncio
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select, text

from contracts.identity import StaffRole
from kit.context import Principal, RequestContext
from kit.db import commit
from services.identity.accounts.service import grant_membership
from services.identity.models import Company
from tests.conftest import context_headers
from tests.identity.conftest import SERVICE, Identity
from tests.identity.people import events_after
from tests.support.events import wait_until


async def add_member(identity: Identity, account: dict[str, Any], user_id: str, role: StaffRole) -> dict[str, str]:
    """Make `user_id` a staff member of `account`'s company; returns their headers there."""
    company_id = uuid.UUID(account["company"]["id"])
    async with identity.database.sessionmaker() as session:
        context = RequestContext(request_id="test-add-member")
        await grant_membership(session, company_id, uuid.UUID(user_id), role, context=context)
        await commit(session)
    return identity.staff(company_id, user_id, role.value)


async def company_row(identity: Identity, account: dict[str, Any]) -> dict[str, Any]:
    response = await identity.client.get("/api/v1/company", headers=identity.owner_of(account))
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


async def test_me_is_the_signed_in_member_their_company_and_role(identity: Identity) -> None:
    account = await identity.signup()

    response = await identity.client.get("/api/v1/me", headers=identity.owner_of(account))

    assert response.status_code == 200
    assert response.json() == account


async def test_company_shows_name_slug_and_creation_time(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    account = await identity.signup(companyName=f"Acme Distributors {tag}")

    company = await company_row(identity, account)

    assert set(company) == {"id", "name", "slug", "currency", "showPricesToGuests", "createdAt"}
    assert (company["currency"], company["showPricesToGuests"]) == ("USD", False)
    assert company["id"] == account["company"]["id"]
    assert (company["name"], company["slug"]) == (f"Acme Distributors {tag}", f"acme-distributors-{tag}")


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/company", "/api/v1/subscription"])
async def test_staff_routes_need_a_company_and_a_staff_member(identity: Identity, path: str) -> None:
    account = await identity.signup()
    company_id = uuid.UUID(account["company"]["id"])

    without_company = await identity.client.get(
        path, headers=context_headers(identity.signer, SERVICE, principal=Principal(type="user", id=uuid.uuid4()))
    )
    anonymous = await identity.client.get(path, headers=identity.anonymous(company_id=company_id))
    customer = await identity.client.get(
        path,
        headers=context_headers(
            identity.signer,
            SERVICE,
            company_id=company_id,
            principal=Principal(type="customer", id=uuid.uuid4(), role="ADMIN"),
        ),
    )

    assert without_company.status_code == 401
    # Not signed in: the same answer the gateway gives a staff route without a session.
    assert anonymous.status_code == 401
    assert customer.status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/company", "/api/v1/subscription"])
async def test_another_companys_context_never_reaches_this_company(identity: Identity, path: str) -> None:
    ours = await identity.signup(companyName="Ours")
    theirs = await identity.signup(companyName="Theirs")

    # Our owner presenting their company: not a member there.
    crossed = await identity.client.get(path, headers=identity.staff(theirs["company"]["id"], ours["user"]["id"]))
    # Their owner in their own company sees only theirs.
    own = await identity.client.get(path, headers=identity.owner_of(theirs))

    assert crossed.status_code == 403
    assert own.status_code == 200
    assert ours["company"]["id"] not in own.text
    assert ours["user"]["id"] not in own.text


async def test_renaming_the_company_updates_it_and_its_storefront_entry(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    account = await identity.signup(companyName=f"Old Name {tag}")

    response = await identity.client.patch(
        "/api/v1/company", json={"name": "  New Name  "}, headers=identity.owner_of(account)
    )

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "New Name"
    assert response.json()["slug"] == f"old-name-{tag}"
    entry = await identity.redis.get(identity.storefront_key(f"old-name-{tag}"))
    assert entry is not None
    assert json.loads(entry)["name"] == "New Name"


async def test_a_slug_change_takes_effect_at_once(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    account = await identity.signup(companyName=f"Acme Distributors {tag}")
    headers = identity.owner_of(account)

    response = await identity.client.patch("/api/v1/company", json={"slug": f"acme-{tag}"}, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["slug"] == f"acme-{tag}"
    assert await identity.redis.get(identity.storefront_key(f"acme-distributors-{tag}")) is None
    entry = await identity.redis.get(identity.storefront_key(f"acme-{tag}"))
    assert entry is not None
    assert json.loads(entry) == {
        "companyId": account["company"]["id"],
        "name": f"Acme Distributors {tag}",
        "slug": f"acme-{tag}",
        "version": 2,
    }
    old = await identity.client.get(
        f"/internal/storefronts/acme-distributors-{tag}", headers=identity.anonymous(internal=True)
    )
    assert old.status_code == 404
    assert (await company_row(identity, account))["slug"] == f"acme-{tag}"


async def test_a_slug_change_raises_company_updated(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    account = await identity.signup(companyName=f"Acme Distributors {tag}")

    await identity.client.patch(
        "/api/v1/company", json={"slug": f"acme-{tag}", "name": "Acme"}, headers=identity.owner_of(account)
    )

    updated = (await identity.events(account))[-1]
    assert updated.type == "CompanyUpdated"
    assert updated.entity.model_dump() == {"type": "Company", "id": account["company"]["id"], "version": 2}
    assert updated.data == {
        "id": account["company"]["id"],
        "name": "Acme",
        "slug": f"acme-{tag}",
        "previousSlug": f"acme-distributors-{tag}",
        "currency": "USD",
        "showPricesToGuests": False,
        "changes": ["name", "slug"],
    }
    assert str(updated.actor.id) == account["user"]["id"]


async def waiting_on_locks(identity: Identity) -> int:
    """Statements of this test's database waiting for a row lock."""
    async with identity.database.engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return int(waiting or 0)


async def test_two_edits_at_once_end_in_one_event_carrying_both(identity: Identity) -> None:
    account = await identity.signup(companyName="Acme Distributors")
    owner = identity.owner_of(account)
    company_id = uuid.UUID(account["company"]["id"])
    before = len(await identity.events(account))

    # Both edits start while another transaction holds the company's row, so each has read the company
    # (or queued to) before either writes: the race, every time.
    async with identity.database.sessionmaker() as holder:
        await holder.execute(select(Company).where(Company.id == company_id).with_for_update())
        edits = [
            asyncio.create_task(identity.client.patch("/api/v1/company", json=change, headers=owner))
            for change in ({"currency": "EUR"}, {"name": "Acme Wholesale"})
        ]
        await wait_until(lambda: _both_wait(identity), what="both edits to wait for the company's row")
        await holder.rollback()
    responses = await asyncio.gather(*edits)

    assert [response.status_code for response in responses] == [200, 200]
    updates = await events_after(identity, account, before)
    assert sorted(update.entity.version or 0 for update in updates) == [2, 3]
    newest = max(updates, key=lambda update: update.entity.version or 0)
    assert (newest.data["name"], newest.data["currency"]) == ("Acme Wholesale", "EUR")
    entry = json.loads(await identity.redis.get(identity.storefront_key(account["company"]["slug"])) or "{}")
    assert entry["name"] == "Acme Wholesale"


async def _both_wait(identity: Identity) -> bool:
    return await waiting_on_locks(identity) >= 2


async def test_storefront_settings_change_currency_and_guest_prices(identity: Identity) -> None:
    account = await identity.signup()

    response = await identity.client.patch(
        "/api/v1/company", json={"currency": "eur", "showPricesToGuests": True}, headers=identity.owner_of(account)
    )

    assert response.status_code == 200, response.text
    assert (response.json()["currency"], response.json()["showPricesToGuests"]) == ("EUR", True)
    updated = (await identity.events(account))[-1]
    assert updated.type == "CompanyUpdated"
    assert updated.data["changes"] == ["currency", "showPricesToGuests"]
    assert (updated.data["currency"], updated.data["showPricesToGuests"]) == ("EUR", True)


@pytest.mark.parametrize("currency", ["XYZ", "EURO", "12$", ""])
async def test_an_unknown_currency_is_refused_and_nothing_changes(identity: Identity, currency: str) -> None:
    account = await identity.signup()
    before = len(await identity.events(account))

    response = await identity.client.patch(
        "/api/v1/company", json={"currency": currency, "name": "Renamed"}, headers=identity.owner_of(account)
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "currency"
    assert len(await identity.events(account)) == before
    assert (await company_row(identity, account))["name"] == account["company"]["name"]


async def test_an_unchanged_patch_raises_no_event(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    account = await identity.signup(companyName=f"Same Co {tag}")
    before = len(await identity.events(account))

    response = await identity.client.patch(
        "/api/v1/company", json={"name": f"Same Co {tag}", "slug": f"same-co-{tag}"}, headers=identity.owner_of(account)
    )

    assert response.status_code == 200
    assert len(await identity.events(account)) == before


@pytest.mark.parametrize(
    "slug", ["ab", "a" * 51, "Acme", "acme_store", "-acme", "acme-", "acme--store", "acme store", "ácme", ""]
)
async def test_a_malformed_slug_is_refused_and_nothing_changes(identity: Identity, slug: str) -> None:
    account = await identity.signup(companyName="Acme Distributors")

    response = await identity.client.patch("/api/v1/company", json={"slug": slug}, headers=identity.owner_of(account))

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == ["slug"]
    assert "lower-case letters" in problem["detail"]
    assert (await company_row(identity, account))["slug"] == account["company"]["slug"]
    assert await identity.redis.get(identity.storefront_key(account["company"]["slug"])) is not None


async def test_a_blank_name_is_refused(identity: Identity) -> None:
    account = await identity.signup(companyName="Acme Distributors")

    response = await identity.client.patch("/api/v1/company", json={"name": "  "}, headers=identity.owner_of(account))

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["name"]
    assert (await company_row(identity, account))["name"] == account["company"]["name"]


async def test_a_taken_slug_is_refused_and_nothing_changes(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    await identity.signup(companyName=f"Taken {tag}")
    account = await identity.signup(companyName=f"Mine {tag}")

    response = await identity.client.patch(
        "/api/v1/company", json={"slug": f"taken-{tag}", "name": "Renamed"}, headers=identity.owner_of(account)
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "That storefront address is already taken."
    company = await company_row(identity, account)
    assert (company["name"], company["slug"]) == (f"Mine {tag}", f"mine-{tag}")


async def test_a_member_cannot_change_company_settings_but_an_admin_can(identity: Identity) -> None:
    account = await identity.signup(companyName="Team Co")
    member = await identity.signup(companyName="Member's Own Co")
    admin = await identity.signup(companyName="Admin's Own Co")
    member_headers = await add_member(identity, account, member["user"]["id"], StaffRole.MEMBER)
    admin_headers = await add_member(identity, account, admin["user"]["id"], StaffRole.ADMIN)

    tag = uuid.uuid4().hex[:8]
    refused = await identity.client.patch("/api/v1/company", json={"slug": f"members-{tag}"}, headers=member_headers)
    seen = await identity.client.get("/api/v1/company", headers=member_headers)
    allowed = await identity.client.patch("/api/v1/company", json={"slug": f"admins-{tag}"}, headers=admin_headers)

    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert seen.status_code == 200
    assert allowed.status_code == 200
    assert (await company_row(identity, account))["slug"] == f"admins-{tag}"


async def test_the_role_identity_holds_wins_over_the_one_in_the_context(identity: Identity) -> None:
    account = await identity.signup(companyName="Team Co")
    member = await identity.signup(companyName="Member's Own Co")
    await add_member(identity, account, member["user"]["id"], StaffRole.MEMBER)
    claims_owner = identity.staff(account["company"]["id"], member["user"]["id"], "OWNER")

    me = await identity.client.get("/api/v1/me", headers=claims_owner)
    refused = await identity.client.patch(
        "/api/v1/company", json={"slug": f"hijacked-{uuid.uuid4().hex[:8]}"}, headers=claims_owner
    )

    assert me.json()["role"] == "MEMBER"
    assert refused.status_code == 403


async def test_storefront_lookup_answers_and_heals_the_directory(identity: Identity) -> None:
    tag = uuid.uuid4().hex[:8]
    account = await identity.signup(companyName=f"Corner Shop {tag}")
    key = identity.storefront_key(f"corner-shop-{tag}")
    await identity.redis.delete(key)

    response = await identity.client.get(
        f"/internal/storefronts/corner-shop-{tag}", headers=identity.anonymous(internal=True)
    )

    expected = {
        "companyId": account["company"]["id"],
        "name": f"Corner Shop {tag}",
        "slug": f"corner-shop-{tag}",
        "version": 1,
    }
    assert response.status_code == 200
    assert response.json() == expected
    entry = await identity.redis.get(key)
    assert entry is not None
    assert json.loads(entry) == expected


async def test_an_unknown_storefront_is_not_found(identity: Identity) -> None:
    response = await identity.client.get(
        "/internal/storefronts/no-such-shop", headers=identity.anonymous(internal=True)
    )

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert await identity.redis.get(identity.storefront_key("no-such-shop")) is None
