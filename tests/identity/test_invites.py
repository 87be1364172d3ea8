"""Team invites: creating, listing, revoking, looking up and accepting them, and the seats they hold."""

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

import pytest
from redis.asyncio import Redis

from contracts.identity import StaffRole
from kit.context import ContextSigner, Principal, RequestContext
from kit.db import commit, utcnow
from kit.settings import PlatformSettings
from services.identity.accounts.service import grant_membership
from services.identity.app import create_app
from services.identity.settings import IdentitySettings
from tests.conftest import DatabaseFactory, context_headers, start_app
from tests.identity.conftest import SERVICE, Identity
from tests.identity.staff import (
    PASSWORD,
    accept,
    expire_invite,
    invite,
    invites,
    join,
    members,
    new_email,
    principal_entry,
    problem,
    roles,
)

INVALID_LINK = "This invitation link is invalid, has expired or was already used."


def _close_to(value: str, expected: datetime) -> bool:
    return abs(datetime.fromisoformat(value) - expected) < timedelta(minutes=1)


async def test_an_invite_answers_its_token_once_and_stores_only_its_hash(identity: Identity) -> None:
    account = await identity.signup()

    response = await identity.client.post(
        "/api/v1/invites",
        json={"email": "  Nia.Newcomer@Example.COM ", "role": "ADMIN"},
        headers=identity.owner_of(account),
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"id", "email", "role", "status", "expiresAt", "createdAt", "token", "acceptPath"}
    assert (created["email"], created["role"], created["status"]) == ("Nia.Newcomer@Example.COM", "ADMIN", "PENDING")
    assert len(created["token"]) >= 43
    assert created["acceptPath"] == f"/invites/accept?token={created['token']}"
    assert _close_to(created["expiresAt"], utcnow() + timedelta(days=7))
    [stored] = await invites(identity, account)
    assert stored.token_hash == hashlib.sha256(created["token"].encode()).hexdigest()
    assert created["token"] not in str([getattr(stored, column.key) for column in stored.__table__.columns])
    listed = await identity.client.get("/api/v1/invites", headers=identity.owner_of(account))
    assert created["token"] not in listed.text


async def test_an_invite_raises_invite_created_without_its_token(identity: Identity) -> None:
    account = await identity.signup()

    created = await invite(identity, account, role="MEMBER")

    envelope = (await identity.events(account))[-1]
    assert envelope.type == "InviteCreated"
    assert envelope.entity.model_dump() == {"type": "Invite", "id": created["id"], "version": 1}
    assert envelope.data == {
        "id": created["id"],
        "email": created["email"],
        "role": "MEMBER",
        "expiresAt": envelope.data["expiresAt"],
    }
    assert datetime.fromisoformat(envelope.data["expiresAt"]) == datetime.fromisoformat(created["expiresAt"])
    assert (envelope.actor.type, str(envelope.actor.id)) == ("USER", account["user"]["id"])
    assert created["token"] not in envelope.model_dump_json()


async def test_an_invite_cannot_make_an_owner(identity: Identity) -> None:
    account = await identity.signup()
    before = await identity.row_counts(account)

    response = await identity.client.post(
        "/api/v1/invites", json={"email": new_email(), "role": "OWNER"}, headers=identity.owner_of(account)
    )

    assert [error["field"] for error in problem(response, 400)["errors"]] == ["role"]
    assert await invites(identity, account) == []
    assert await identity.row_counts(account) == before


@pytest.mark.parametrize(
    "body",
    [{"email": "not-an-email", "role": "MEMBER"}, {"email": new_email(), "role": "BOSS"}, {"role": "MEMBER"}],
)
async def test_a_malformed_invite_is_refused(identity: Identity, body: dict[str, str]) -> None:
    account = await identity.signup()

    response = await identity.client.post("/api/v1/invites", json=body, headers=identity.owner_of(account))

    problem(response, 422)
    assert await invites(identity, account) == []


async def test_inviting_a_current_member_is_a_conflict(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "MEMBER")

    response = await identity.client.post(
        "/api/v1/invites", json={"email": member.email.upper(), "role": "ADMIN"}, headers=identity.owner_of(account)
    )

    body = problem(response, 409)
    assert "already a member" in body["detail"]
    assert [error["field"] for error in body["errors"]] == ["email"]
    assert [i.accepted_at is not None for i in await invites(identity, account)] == [True]


async def test_a_second_pending_invite_for_an_email_must_wait_for_a_revoke(identity: Identity) -> None:
    account = await identity.signup()
    headers = identity.owner_of(account)
    first = await invite(identity, account)

    duplicate = await identity.client.post(
        "/api/v1/invites", json={"email": first["email"], "role": "ADMIN"}, headers=headers
    )
    revoked = await identity.client.delete(f"/api/v1/invites/{first['id']}", headers=headers)
    again = await identity.client.post(
        "/api/v1/invites", json={"email": first["email"], "role": "ADMIN"}, headers=headers
    )

    assert "revoke it first" in problem(duplicate, 409)["detail"]
    assert revoked.status_code == 204
    assert again.status_code == 201


async def test_a_pending_invite_blocks_the_same_email_in_another_case(identity: Identity) -> None:
    account = await identity.signup()
    headers = identity.owner_of(account)
    tag = uuid.uuid4().hex[:8]
    first = await invite(identity, account, email=f"Nia.{tag}@Example.com")

    duplicate = await identity.client.post(
        "/api/v1/invites", json={"email": f"nia.{tag}@EXAMPLE.COM", "role": "ADMIN"}, headers=headers
    )

    assert first["email"] == f"Nia.{tag}@Example.com"
    assert "revoke it first" in problem(duplicate, 409)["detail"]
    assert [stored.email for stored in await invites(identity, account)] == [f"Nia.{tag}@Example.com"]


async def test_an_expired_invite_may_be_sent_again(identity: Identity) -> None:
    account = await identity.signup()
    first = await invite(identity, account)
    await expire_invite(identity, first["id"])

    again = await invite(identity, account, email=first["email"])

    assert again["id"] != first["id"]


async def test_pending_invites_take_team_seats_up_to_the_plan_limit(identity: Identity) -> None:
    account = await identity.signup()
    headers = identity.owner_of(account)
    await invite(identity, account)
    await invite(identity, account)
    before = await identity.row_counts(account)

    refused = await identity.client.post(
        "/api/v1/invites", json={"email": new_email(), "role": "MEMBER"}, headers=headers
    )

    detail = problem(refused, 402)["detail"]
    assert "Starter plan allows 3 team members (maxTeamMembers)" in detail
    assert "Upgrade your plan" in detail
    assert len(await invites(identity, account)) == 2
    assert await identity.row_counts(account) == before
    usage = (await identity.client.get("/api/v1/subscription", headers=headers)).json()["usage"]
    assert usage["teamMembers"] == 3


async def test_accepted_members_count_and_revoked_or_expired_invites_free_their_seat(identity: Identity) -> None:
    account = await identity.signup()
    headers = identity.owner_of(account)
    await join(identity, account, "MEMBER")
    to_revoke = await invite(identity, account)
    full = await identity.client.post("/api/v1/invites", json={"email": new_email(), "role": "MEMBER"}, headers=headers)

    await identity.client.delete(f"/api/v1/invites/{to_revoke['id']}", headers=headers)
    to_expire = await invite(identity, account)
    await expire_invite(identity, to_expire["id"])
    after = await identity.client.post(
        "/api/v1/invites", json={"email": new_email(), "role": "MEMBER"}, headers=headers
    )

    problem(full, 402)
    assert after.status_code == 201, after.text


async def test_two_invites_at_once_cannot_both_take_the_last_seat(identity: Identity) -> None:
    account = await identity.signup()
    headers = identity.owner_of(account)
    await invite(identity, account)

    responses = await asyncio.gather(
        *(
            identity.client.post("/api/v1/invites", json={"email": new_email(), "role": "MEMBER"}, headers=headers)
            for _ in range(3)
        )
    )

    assert sorted(response.status_code for response in responses) == [201, 402, 402]
    assert len(await invites(identity, account)) == 2


async def test_invites_list_pending_and_expired_with_who_invited(identity: Identity) -> None:
    account = await identity.signup(name="Ada Owner")
    admin = await join(identity, account, "ADMIN")
    headers = identity.owner_of(account)
    # Each frees its seat before the next is sent: Starter has three, owner and admin take two.
    revoked = await invite(identity, account)
    await identity.client.delete(f"/api/v1/invites/{revoked['id']}", headers=headers)
    expired = await invite(identity, account)
    await expire_invite(identity, expired["id"])
    pending = await invite(identity, account, role="ADMIN", headers=admin.headers)

    response = await identity.client.get("/api/v1/invites", headers=headers)

    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["id"] for item in items] == [pending["id"], expired["id"]]
    assert set(items[0]) == {"id", "email", "role", "status", "expiresAt", "createdAt", "invitedBy"}
    assert (items[0]["status"], items[0]["role"], items[0]["invitedBy"]) == (
        "PENDING",
        "ADMIN",
        {"id": admin.user_id, "name": "Nia Newcomer"},
    )
    assert (items[1]["status"], items[1]["invitedBy"]) == (
        "EXPIRED",
        {"id": account["user"]["id"], "name": "Ada Owner"},
    )
    assert response.json()["nextCursor"] is None


async def test_invites_list_in_pages(identity: Identity) -> None:
    account = await identity.signup()
    created = [await invite(identity, account) for _ in range(2)]
    headers = identity.owner_of(account)

    first = await identity.client.get("/api/v1/invites", params={"limit": 1}, headers=headers)
    second = await identity.client.get(
        "/api/v1/invites", params={"limit": 1, "cursor": first.json()["nextCursor"]}, headers=headers
    )

    assert [item["id"] for item in first.json()["items"]] == [created[1]["id"]]
    assert [item["id"] for item in second.json()["items"]] == [created[0]["id"]]
    assert second.json()["nextCursor"] is None


async def test_revoking_an_invite_kills_its_link_and_raises_invite_revoked(identity: Identity) -> None:
    account = await identity.signup()
    created = await invite(identity, account)

    response = await identity.client.delete(f"/api/v1/invites/{created['id']}", headers=identity.owner_of(account))

    assert response.status_code == 204
    [stored] = await invites(identity, account)
    assert stored.revoked_at is not None
    revoked = (await identity.events(account))[-1]
    assert revoked.type == "InviteRevoked"
    assert revoked.data == {"id": created["id"], "email": created["email"]}
    assert revoked.entity.model_dump() == {"type": "Invite", "id": created["id"], "version": 2}
    assert str(revoked.actor.id) == account["user"]["id"]
    lookup = await identity.client.post(
        "/api/v1/invites/lookup", json={"token": created["token"]}, headers=identity.anonymous()
    )
    assert problem(lookup, 404)["detail"] == INVALID_LINK
    assert problem(await accept(identity, created["token"]), 404)["detail"] == INVALID_LINK


async def test_revoked_accepted_and_other_companies_invites_are_not_found(identity: Identity) -> None:
    account = await identity.signup()
    other = await identity.signup(companyName="Other Co")
    headers = identity.owner_of(account)
    revoked = await invite(identity, account)
    await identity.client.delete(f"/api/v1/invites/{revoked['id']}", headers=headers)
    accepted = await invite(identity, account)
    assert (await accept(identity, accepted["token"])).status_code == 200
    theirs = await invite(identity, other)
    events_before = len(await identity.events(account))

    for invite_id in (revoked["id"], accepted["id"], theirs["id"], str(uuid.uuid4())):
        response = await identity.client.delete(f"/api/v1/invites/{invite_id}", headers=headers)
        assert problem(response, 404)["detail"] == "Invite not found."
    assert len(await identity.events(account)) == events_before
    [their_invite] = await invites(identity, other)
    assert their_invite.revoked_at is None


async def test_members_cannot_invite_list_or_revoke(identity: Identity) -> None:
    account = await identity.signup()
    member = await join(identity, account, "MEMBER")
    pending = await invite(identity, account)

    created = await identity.client.post(
        "/api/v1/invites", json={"email": new_email(), "role": "MEMBER"}, headers=member.headers
    )
    listed = await identity.client.get("/api/v1/invites", headers=member.headers)
    revoked = await identity.client.delete(f"/api/v1/invites/{pending['id']}", headers=member.headers)

    for response in (created, listed, revoked):
        problem(response, 403)
    [stored] = [i for i in await invites(identity, account) if i.accepted_at is None]
    assert stored.revoked_at is None


async def test_an_admin_may_invite(identity: Identity) -> None:
    account = await identity.signup()
    admin = await join(identity, account, "ADMIN")

    created = await invite(identity, account, headers=admin.headers)

    assert created["status"] == "PENDING"
    assert str((await identity.events(account))[-1].actor.id) == admin.user_id


async def test_lookup_tells_the_accept_page_what_the_invite_is_for(identity: Identity) -> None:
    account = await identity.signup(companyName="Lookup Co")
    existing = await identity.signup(companyName="Elsewhere")
    for_new = await invite(identity, account, role="ADMIN")
    for_existing = await invite(identity, account, email=existing["user"]["email"])

    new = await identity.client.post(
        "/api/v1/invites/lookup", json={"token": for_new["token"]}, headers=identity.anonymous()
    )
    known = await identity.client.post(
        "/api/v1/invites/lookup", json={"token": for_existing["token"]}, headers=identity.anonymous()
    )

    assert new.status_code == 200
    assert new.json() == {
        "companyName": "Lookup Co",
        "email": for_new["email"],
        "role": "ADMIN",
        "expiresAt": for_new["expiresAt"],
        "existingUser": False,
    }
    assert known.json()["existingUser"] is True


async def test_lookup_of_an_unknown_or_expired_link_is_not_found(identity: Identity) -> None:
    account = await identity.signup()
    created = await invite(identity, account)
    await expire_invite(identity, created["id"])

    expired = await identity.client.post(
        "/api/v1/invites/lookup", json={"token": created["token"]}, headers=identity.anonymous()
    )
    unknown = await identity.client.post(
        "/api/v1/invites/lookup", json={"token": "made-up"}, headers=identity.anonymous()
    )
    blank = await identity.client.post("/api/v1/invites/lookup", json={"token": " "}, headers=identity.anonymous())

    assert problem(expired, 404)["detail"] == INVALID_LINK
    assert problem(unknown, 404)["detail"] == INVALID_LINK
    problem(blank, 422)


async def test_accepting_as_a_new_user_creates_the_account_and_membership(identity: Identity) -> None:
    account = await identity.signup()
    created = await invite(identity, account, role="ADMIN")

    response = await accept(identity, created["token"], name="  Nia Newcomer ")

    assert response.status_code == 200, response.text
    session = response.json()
    assert set(session) == {"user", "company", "role", "membershipId"}
    assert session["user"]["email"] == created["email"]
    assert session["user"]["name"] == "Nia Newcomer"
    assert session["company"] == account["company"]
    assert session["role"] == "ADMIN"
    assert (await roles(identity, account))[session["membershipId"]] == "ADMIN"
    me = await identity.client.get(
        "/api/v1/me", headers=identity.staff(account["company"]["id"], session["user"]["id"], "ADMIN")
    )
    assert me.json() == session
    login = await identity.client.post(
        "/api/v1/auth/login", json={"email": created["email"], "password": PASSWORD}, headers=identity.anonymous()
    )
    assert login.status_code == 200
    entry = await principal_entry(identity, session["membershipId"])
    assert entry is not None
    assert (entry["companyId"], entry["id"], entry["role"]) == (
        account["company"]["id"],
        session["user"]["id"],
        "ADMIN",
    )


async def test_accepting_raises_user_membership_and_invite_events_as_the_new_user(identity: Identity) -> None:
    account = await identity.signup()
    created = await invite(identity, account)

    session = (await accept(identity, created["token"], name="Nia Newcomer")).json()

    user_created, membership_created, accepted = (await identity.events(account))[-3:]
    user_id, membership_id = session["user"]["id"], session["membershipId"]
    assert (user_created.type, membership_created.type, accepted.type) == (
        "UserCreated",
        "MembershipCreated",
        "InviteAccepted",
    )
    assert user_created.data == {"id": user_id, "email": created["email"], "name": "Nia Newcomer"}
    assert membership_created.data == {"id": membership_id, "userId": user_id, "role": "MEMBER"}
    assert accepted.data == {
        "id": created["id"],
        "email": created["email"],
        "userId": user_id,
        "membershipId": membership_id,
    }
    assert accepted.entity.model_dump() == {"type": "Invite", "id": created["id"], "version": 2}
    for envelope in (user_created, membership_created, accepted):
        assert (envelope.actor.type, str(envelope.actor.id)) == ("USER", user_id)
        assert str(envelope.company_id) == account["company"]["id"]
        assert "password" not in envelope.model_dump_json().lower()
        assert created["token"] not in envelope.model_dump_json()


async def test_a_new_user_must_give_a_name(identity: Identity) -> None:
    account = await identity.signup()
    created = await invite(identity, account)
    before = await identity.row_counts(account, created["email"])

    response = await accept(identity, created["token"], name=None)

    assert [error["field"] for error in problem(response, 400)["errors"]] == ["name"]
    assert await identity.row_counts(account, created["email"]) == before
    [stored] = await invites(identity, account)
    assert stored.accepted_at is None


@pytest.mark.parametrize(("name", "password"), [("Nia", "short"), ("Nia", "x" * 101), ("  ", PASSWORD)])
async def test_a_malformed_acceptance_is_refused(identity: Identity, name: str, password: str) -> None:
    account = await identity.signup()
    created = await invite(identity, account)
    before = await identity.row_counts(account, created["email"])

    response = await accept(identity, created["token"], name=name, password=password)

    problem(response, 422)
    assert await identity.row_counts(account, created["email"]) == before


async def test_an_existing_user_accepts_with_their_password_and_keeps_their_name(identity: Identity) -> None:
    account = await identity.signup(companyName="Inviting Co")
    existing = await identity.signup(companyName="Their Own Co", name="Eve Existing")
    created = await invite(identity, account, email=existing["user"]["email"].upper())

    response = await accept(identity, created["token"], name="Someone Else")

    assert response.status_code == 200, response.text
    session = response.json()
    assert session["user"] == existing["user"]
    assert session["company"] == account["company"]
    assert session["role"] == "MEMBER"
    # The only user an acceptance could create is one with the invite's email: still just the existing one.
    assert (await identity.row_counts(account, existing["user"]["email"]))["users"] == 1
    assert [event.type for event in (await identity.events(account))[-2:]] == ["MembershipCreated", "InviteAccepted"]


async def test_an_existing_user_with_a_wrong_password_is_refused(identity: Identity) -> None:
    account = await identity.signup()
    existing = await identity.signup(companyName="Their Own Co")
    created = await invite(identity, account, email=existing["user"]["email"])
    before = await identity.row_counts(account, existing["user"]["email"])

    response = await accept(identity, created["token"], password="not the password")

    assert problem(response, 401)["detail"] == "Email or password is incorrect."
    assert await identity.row_counts(account, existing["user"]["email"]) == before
    retry = await accept(identity, created["token"])
    assert retry.status_code == 200


async def test_accepting_when_already_a_member_is_a_conflict(identity: Identity) -> None:
    account = await identity.signup()
    existing = await identity.signup(companyName="Their Own Co")
    created = await invite(identity, account, email=existing["user"]["email"])
    async with identity.database.sessionmaker() as session:
        await grant_membership(
            session,
            uuid.UUID(account["company"]["id"]),
            uuid.UUID(existing["user"]["id"]),
            StaffRole.MEMBER,
            context=RequestContext(request_id="test-already-member"),
        )
        await commit(session)
    before = await identity.row_counts(account, existing["user"]["email"])

    response = await accept(identity, created["token"])

    assert "already a member" in problem(response, 409)["detail"]
    assert await identity.row_counts(account, existing["user"]["email"]) == before


async def test_an_invite_is_accepted_once(identity: Identity) -> None:
    account = await identity.signup()
    created = await invite(identity, account)
    first = await accept(identity, created["token"])

    second = await accept(identity, created["token"])

    assert first.status_code == 200
    assert problem(second, 404)["detail"] == INVALID_LINK
    assert len(await members(identity, account)) == 2


async def test_two_accepts_at_once_let_only_one_through(identity: Identity) -> None:
    account = await identity.signup()
    existing = await identity.signup(companyName="Their Own Co")
    created = await invite(identity, account, email=existing["user"]["email"])

    responses = await asyncio.gather(*(accept(identity, created["token"]) for _ in range(2)))

    assert sorted(response.status_code for response in responses) == [200, 404]
    assert len(await members(identity, account)) == 2
    assert [event.type for event in await identity.events(account)].count("InviteAccepted") == 1


async def test_an_expired_invite_cannot_be_accepted(identity: Identity) -> None:
    account = await identity.signup()
    created = await invite(identity, account)
    await expire_invite(identity, created["id"])
    before = await identity.row_counts(account, created["email"])

    response = await accept(identity, created["token"])

    assert problem(response, 404)["detail"] == INVALID_LINK
    assert await identity.row_counts(account, created["email"]) == before


async def test_accepting_ignores_a_signed_in_callers_company(identity: Identity) -> None:
    account = await identity.signup(companyName="Inviting Co")
    other = await identity.signup(companyName="Other Co")
    created = await invite(identity, account)
    headers = context_headers(
        identity.signer,
        SERVICE,
        company_id=uuid.UUID(other["company"]["id"]),
        principal=Principal(type="user", id=uuid.UUID(other["user"]["id"]), role="OWNER"),
    )
    others_before = len(await identity.events(other))

    response = await identity.client.post(
        "/api/v1/invites/accept", json={"token": created["token"], "name": "Nia", "password": PASSWORD}, headers=headers
    )

    assert response.status_code == 200
    assert response.json()["company"] == account["company"]
    assert (await identity.events(account))[-1].type == "InviteAccepted"
    assert len(await identity.events(other)) == others_before


@pytest.fixture
async def two_day_invites(
    new_database: DatabaseFactory, platform: PlatformSettings, signer: ContextSigner
) -> AsyncIterator[Identity]:
    """An identity service whose invites last two days (`IDENTITY_INVITE_DAYS=2`)."""
    settings = IdentitySettings(database_url=await new_database("identity"), invite_days=2)
    app = create_app(settings, platform)
    redis = Redis.from_url(platform.redis_url, decode_responses=True)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(redis.aclose)
        client = await start_app(stack, app)
        yield Identity(
            client=client, app=app, database=app.state.database, redis=redis, signer=signer, platform=platform
        )


async def test_invites_last_as_many_days_as_configured(two_day_invites: Identity) -> None:
    account = await two_day_invites.signup()

    created = await invite(two_day_invites, account)

    assert _close_to(created["expiresAt"], utcnow() + timedelta(days=2))
