"""The team: listing members, role changes, removals and ownership transfer, with their events and entries."""

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from kit.context import Principal
from services.identity.models import User
from tests.conftest import context_headers
from tests.identity.conftest import SERVICE, Identity
from tests.identity.staff import (
    api_key_headers,
    join,
    members,
    principal_entry,
    problem,
    roles,
)


async def test_members_list_the_owner_first_then_by_joining(identity: Identity) -> None:
    account = await identity.signup(name="Ada Owner")
    admin = await join(identity, account, "ADMIN")
    member = await join(identity, account, "MEMBER")

    listed = await members(identity, account)

    assert [item["id"] for item in listed] == [account["membershipId"], admin.membership_id, member.membership_id]
    assert set(listed[0]) == {"id", "userId", "email", "name", "role", "createdAt"}
    assert listed[0]["userId"] == account["user"]["id"]
    assert (listed[0]["email"], listed[0]["name"], listed[0]["role"]) == (
        account["user"]["email"],
        "Ada Owner",
        "OWNER",
    )
    assert (listed[2]["userId"], listed[2]["email"], listed[2]["role"]) == (member.user_id, member.email, "MEMBER")


async def test_members_pages_keep_the_owner_first_after_a_transfer(identity: Identity) -> None:
    account = await identity.signup()
    admin = await join(identity, account, "ADMIN")
    member = await join(identity, account, "MEMBER")
    transferred = await identity.client.post(
        f"/api/v1/members/{member.membership_id}/transfer-ownership", headers=identity.owner_of(account)
    )
    assert transferred.status_code == 200
    # The gateway signs each request with the role as it is now: the new owner's.
    headers = identity.staff(account["company"]["id"], member.user_id, "OWNER")

    seen: list[str] = []
    cursor: str | None = None
    for _page in range(5):
        params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        response = await identity.client.get("/api/v1/members", params=params, headers=headers)
        assert response.status_code == 200, response.text
        seen += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["nextCursor"]
        if cursor is None:
            break

    assert seen == [member.membership_id, account["membershipId"], admin.membership_id]


async def test_an_admin_demotes_a_member_and_it_applies_on_their_next_request(identity: Identity) -> None:
    account = await identity.signup()
    admin = await join(identity, account, "ADMIN")
    other = await join(identity, account, "ADMIN")

    response = await identity.client.patch(
        f"/api/v1/members/{other.membership_id}", json={"role": "MEMBER"}, headers=admin.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "MEMBER"
    assert response.json()["id"] == other.membership_id
    entry = await principal_entry(identity, other.membership_id)
    assert entry is not None
    assert (entry["role"], entry["id"], entry["type"]) == ("MEMBER", other.user_id, "user")
    refused = await identity.client.get("/api/v1/members", headers=other.headers)
    assert refused.status_code == 403


async def test_a_role_change_raises_membership_role_changed_by_the_caller(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "MEMBER")

    await identity.client.patch(
        f"/api/v1/members/{member.membership_id}", json={"role": "ADMIN"}, headers=identity.owner_of(account)
    )

    changed = (await identity.events(account))[-1]
    assert changed.type == "MembershipRoleChanged"
    assert changed.entity.model_dump() == {"type": "Membership", "id": member.membership_id, "version": 2}
    assert changed.data == {
        "id": member.membership_id,
        "userId": member.user_id,
        "email": member.email,
        "fromRole": "MEMBER",
        "toRole": "ADMIN",
    }
    assert (changed.actor.type, str(changed.actor.id)) == ("USER", account["user"]["id"])
    assert str(changed.company_id) == account["company"]["id"]


async def test_setting_the_same_role_changes_nothing(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "MEMBER")
    before = len(await identity.events(account))

    response = await identity.client.patch(
        f"/api/v1/members/{member.membership_id}", json={"role": "MEMBER"}, headers=identity.owner_of(account)
    )

    assert response.status_code == 200
    assert len(await identity.events(account)) == before


async def test_owner_is_not_a_role_a_patch_can_give(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "ADMIN")
    before = await roles(identity, account)

    response = await identity.client.patch(
        f"/api/v1/members/{member.membership_id}", json={"role": "OWNER"}, headers=identity.owner_of(account)
    )

    body = problem(response, 400)
    assert "transfer" in body["detail"]
    assert [error["field"] for error in body["errors"]] == ["role"]
    assert await roles(identity, account) == before


async def test_the_owners_role_changes_only_by_transfer(identity: Identity) -> None:
    account = await identity.signup()
    admin = await join(identity, account, "ADMIN")
    before = await roles(identity, account)
    events_before = len(await identity.events(account))

    response = await identity.client.patch(
        f"/api/v1/members/{account['membershipId']}", json={"role": "ADMIN"}, headers=admin.headers
    )

    assert problem(response, 409)["detail"] == "The owner's role changes only by transferring ownership."
    assert await roles(identity, account) == before
    assert len(await identity.events(account)) == events_before


async def test_an_unknown_role_is_refused(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "MEMBER")

    response = await identity.client.patch(
        f"/api/v1/members/{member.membership_id}", json={"role": "BOSS"}, headers=identity.owner_of(account)
    )

    assert [error["field"] for error in problem(response, 422)["errors"]] == ["role"]
    assert (await roles(identity, account))[member.membership_id] == "MEMBER"


async def test_members_cannot_manage_the_team(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "MEMBER")
    admin = await join(identity, account, "ADMIN")
    before = await roles(identity, account)

    listing = await identity.client.get("/api/v1/members", headers=member.headers)
    promoting = await identity.client.patch(
        f"/api/v1/members/{member.membership_id}", json={"role": "ADMIN"}, headers=member.headers
    )
    removing = await identity.client.delete(f"/api/v1/members/{admin.membership_id}", headers=member.headers)
    transferring = await identity.client.post(
        f"/api/v1/members/{member.membership_id}/transfer-ownership", headers=member.headers
    )

    for response in (listing, promoting, removing, transferring):
        problem(response, 403)
    assert await roles(identity, account) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/members"),
        ("PATCH", "/api/v1/members/{id}"),
        ("DELETE", "/api/v1/members/{id}"),
        ("POST", "/api/v1/members/{id}/transfer-ownership"),
        ("GET", "/api/v1/invites"),
        ("POST", "/api/v1/invites"),
        ("DELETE", "/api/v1/invites/{id}"),
        ("GET", "/api/v1/api-keys"),
        ("POST", "/api/v1/api-keys"),
        ("DELETE", "/api/v1/api-keys/{id}"),
    ],
)
async def test_api_keys_never_reach_team_or_key_management(identity: Identity, method: str, path: str) -> None:
    account = await identity.signup()
    every_scope = [f"{resource}:write" for resource in ("catalog", "customers", "orders", "webhooks", "audit")]
    bodies = {
        "/api/v1/members/{id}": {"role": "ADMIN"},
        "/api/v1/invites": {"email": "someone@example.com", "role": "MEMBER"},
        "/api/v1/api-keys": {"name": "Escalation", "scopes": ["orders:read"]},
    }
    before = await identity.row_counts(account)

    response = await identity.client.request(
        method,
        path.format(id=account["membershipId"]),
        json=bodies.get(path) if method in ("POST", "PATCH") else None,
        headers=api_key_headers(identity, account, *every_scope),
    )

    assert problem(response, 403)["detail"] == "Only staff members can do this."
    assert await identity.row_counts(account) == before


async def test_another_companys_members_are_not_found(identity: Identity) -> None:
    ours = await identity.signup(companyName="Ours")
    theirs = await identity.signup(companyName="Theirs")
    their_member = await join(identity, theirs, "MEMBER")
    headers = identity.owner_of(ours)
    before = await roles(identity, theirs)

    patched = await identity.client.patch(
        f"/api/v1/members/{their_member.membership_id}", json={"role": "ADMIN"}, headers=headers
    )
    removed = await identity.client.delete(f"/api/v1/members/{their_member.membership_id}", headers=headers)
    transferred = await identity.client.post(
        f"/api/v1/members/{their_member.membership_id}/transfer-ownership", headers=headers
    )
    listed = await members(identity, ours)

    for response in (patched, removed, transferred):
        problem(response, 404)
    assert await roles(identity, theirs) == before
    assert their_member.membership_id not in [item["id"] for item in listed]


async def test_removing_a_member_ends_their_access_and_keeps_their_user(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "MEMBER")
    assert await principal_entry(identity, member.membership_id) is not None

    response = await identity.client.delete(
        f"/api/v1/members/{member.membership_id}", headers=identity.owner_of(account)
    )

    assert response.status_code == 204
    assert response.content == b""
    assert await principal_entry(identity, member.membership_id) is None
    assert member.membership_id not in [item["id"] for item in await members(identity, account)]
    me = await identity.client.get("/api/v1/me", headers=member.headers)
    assert me.status_code == 403
    async with identity.database.sessionmaker() as session:
        assert await session.scalar(select(User.email).where(User.id == uuid.UUID(member.user_id))) == member.email


async def test_a_removal_raises_membership_removed(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "ADMIN")

    await identity.client.delete(f"/api/v1/members/{member.membership_id}", headers=identity.owner_of(account))

    removed = (await identity.events(account))[-1]
    assert removed.type == "MembershipRemoved"
    assert removed.entity.model_dump() == {"type": "Membership", "id": member.membership_id, "version": 2}
    assert removed.data == {
        "id": member.membership_id,
        "userId": member.user_id,
        "email": member.email,
        "role": "ADMIN",
    }
    assert str(removed.actor.id) == account["user"]["id"]


async def test_an_admin_may_leave_the_team(identity: Identity) -> None:
    account = await identity.signup()
    admin = await join(identity, account, "ADMIN")

    response = await identity.client.delete(f"/api/v1/members/{admin.membership_id}", headers=admin.headers)

    assert response.status_code == 204
    assert list((await roles(identity, account)).values()) == ["OWNER"]
    assert await principal_entry(identity, admin.membership_id) is None


async def test_the_owner_cannot_be_removed(identity: Identity) -> None:
    account = await identity.signup()
    admin = await join(identity, account, "ADMIN")
    before = await roles(identity, account)

    by_admin = await identity.client.delete(f"/api/v1/members/{account['membershipId']}", headers=admin.headers)
    by_self = await identity.client.delete(
        f"/api/v1/members/{account['membershipId']}", headers=identity.owner_of(account)
    )

    assert "transfer ownership" in problem(by_admin, 409)["detail"]
    problem(by_self, 409)
    assert await roles(identity, account) == before
    assert await principal_entry(identity, account["membershipId"]) is not None


async def test_transferring_ownership_swaps_owner_and_admin(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "MEMBER")

    response = await identity.client.post(
        f"/api/v1/members/{member.membership_id}/transfer-ownership", headers=identity.owner_of(account)
    )

    assert response.status_code == 200, response.text
    assert response.json()["owner"]["id"] == member.membership_id
    assert response.json()["owner"]["role"] == "OWNER"
    assert response.json()["previousOwner"]["id"] == account["membershipId"]
    assert response.json()["previousOwner"]["role"] == "ADMIN"
    assert await roles(identity, account) == {member.membership_id: "OWNER", account["membershipId"]: "ADMIN"}
    new_entry = await principal_entry(identity, member.membership_id)
    old_entry = await principal_entry(identity, account["membershipId"])
    assert new_entry is not None
    assert old_entry is not None
    assert (new_entry["role"], old_entry["role"]) == ("OWNER", "ADMIN")


async def test_a_transfer_raises_ownership_transferred_and_both_role_changes(identity: Identity) -> None:
    account = await identity.signup()
    admin = await join(identity, account, "ADMIN")

    await identity.client.post(
        f"/api/v1/members/{admin.membership_id}/transfer-ownership", headers=identity.owner_of(account)
    )

    transferred, demoted, promoted = (await identity.events(account))[-3:]
    assert transferred.type == "OwnershipTransferred"
    assert transferred.entity.model_dump() == {"type": "Company", "id": account["company"]["id"], "version": 2}
    assert transferred.data == {
        "fromMembershipId": account["membershipId"],
        "toMembershipId": admin.membership_id,
        "fromUserId": account["user"]["id"],
        "toUserId": admin.user_id,
    }
    assert demoted.type == promoted.type == "MembershipRoleChanged"
    assert (demoted.data["id"], demoted.data["fromRole"], demoted.data["toRole"]) == (
        account["membershipId"],
        "OWNER",
        "ADMIN",
    )
    assert (promoted.data["id"], promoted.data["fromRole"], promoted.data["toRole"]) == (
        admin.membership_id,
        "ADMIN",
        "OWNER",
    )
    for envelope in (transferred, demoted, promoted):
        assert str(envelope.actor.id) == account["user"]["id"]


async def test_only_the_owner_transfers_ownership(identity: Identity) -> None:
    account = await identity.signup()
    admin = await join(identity, account, "ADMIN")
    before = await roles(identity, account)

    response = await identity.client.post(
        f"/api/v1/members/{admin.membership_id}/transfer-ownership", headers=admin.headers
    )

    assert problem(response, 403)["detail"] == "Only the company's owner can transfer ownership."
    assert await roles(identity, account) == before


async def test_the_previous_owner_can_no_longer_transfer(identity: Identity) -> None:
    account = await identity.signup()
    first = await join(identity, account, "ADMIN")
    second = await join(identity, account, "ADMIN")
    headers = identity.owner_of(account)
    await identity.client.post(f"/api/v1/members/{first.membership_id}/transfer-ownership", headers=headers)

    again = await identity.client.post(f"/api/v1/members/{second.membership_id}/transfer-ownership", headers=headers)

    problem(again, 403)
    assert list((await roles(identity, account)).values()).count("OWNER") == 1
    assert (await roles(identity, account))[first.membership_id] == "OWNER"


async def test_the_owner_cannot_transfer_to_themselves(identity: Identity) -> None:
    account = await identity.signup()

    response = await identity.client.post(
        f"/api/v1/members/{account['membershipId']}/transfer-ownership", headers=identity.owner_of(account)
    )

    problem(response, 400)
    assert await roles(identity, account) == {account["membershipId"]: "OWNER"}


async def test_two_transfers_at_once_leave_exactly_one_owner(identity: Identity) -> None:
    account = await identity.signup()
    first = await join(identity, account, "ADMIN")
    second = await join(identity, account, "MEMBER")
    headers = identity.owner_of(account)

    responses = await asyncio.gather(
        *(
            identity.client.post(f"/api/v1/members/{target.membership_id}/transfer-ownership", headers=headers)
            for target in (first, second)
        )
    )

    assert sorted(response.status_code for response in responses) == [200, 403]
    stored = await roles(identity, account)
    assert list(stored.values()).count("OWNER") == 1
    assert stored[account["membershipId"]] == "ADMIN"


async def test_a_demotion_racing_a_transfer_never_demotes_the_new_owner(identity: Identity) -> None:
    account = await identity.signup()
    target = await join(identity, account, "ADMIN")
    other_admin = await join(identity, account, "ADMIN")

    transfer, demote = await asyncio.gather(
        identity.client.post(
            f"/api/v1/members/{target.membership_id}/transfer-ownership", headers=identity.owner_of(account)
        ),
        identity.client.patch(
            f"/api/v1/members/{target.membership_id}", json={"role": "MEMBER"}, headers=other_admin.headers
        ),
    )

    # Whichever ran first, the other saw its result: demoted then promoted, or promoted then refused.
    assert transfer.status_code == 200
    assert demote.status_code in (200, 409)
    stored = await roles(identity, account)
    assert stored[target.membership_id] == "OWNER"
    assert list(stored.values()).count("OWNER") == 1


async def test_team_routes_need_a_staff_member_of_the_company(identity: Identity) -> None:
    account = await identity.signup()
    stranger = await identity.signup(companyName="Stranger Co")
    company_id = uuid.UUID(account["company"]["id"])

    anonymous = await identity.client.get("/api/v1/members", headers=identity.anonymous(company_id=company_id))
    outsider = await identity.client.get(
        "/api/v1/members", headers=identity.staff(account["company"]["id"], stranger["user"]["id"], "OWNER")
    )
    customer = await identity.client.get(
        "/api/v1/members",
        headers=context_headers(
            identity.signer, SERVICE, company_id=company_id, principal=Principal(type="customer", id=uuid.uuid4())
        ),
    )

    # Not signed in is a 401, as at the gateway; the wrong caller a 403.
    problem(anonymous, 401)
    for response in (outsider, customer):
        problem(response, 403)
