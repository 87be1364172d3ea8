"""Choosing a plan: the owner moves the company to another plan; the new limits travel to other services."""

from typing import Any

import pytest

from tests.identity.conftest import Identity
from tests.identity.people import create_customer
from tests.identity.staff import join, problem


async def change_plan(identity: Identity, headers: dict[str, str], plan_code: str):
    return await identity.client.post("/api/v1/subscription", json={"planCode": plan_code}, headers=headers)


async def test_owner_moves_the_company_to_another_plan_and_other_services_hear_of_it(identity: Identity) -> None:
    account = await identity.signup()
    before = len(await identity.events(account))

    response = await change_plan(identity, identity.owner_of(account), "scale")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["planCode"], body["status"], body["trialEndsAt"], body["trialDaysLeft"]) == (
        "scale",
        "ACTIVE",
        None,
        None,
    )
    assert body["limits"] == {
        "maxProducts": None,
        "maxTeamMembers": None,
        "maxCustomers": None,
        "maxOrdersPerMonth": None,
    }
    [event] = (await identity.events(account))[before:]
    assert event.type == "SubscriptionChanged"
    assert event.entity.type == "Subscription"
    assert (event.data["planCode"], event.data["previousPlanCode"], event.data["status"]) == (
        "scale",
        "starter",
        "ACTIVE",
    )
    assert event.data["limits"]["maxProducts"] is None
    assert str(event.actor.id) == account["user"]["id"]


@pytest.mark.parametrize("role", ["ADMIN", "MEMBER"])
async def test_only_the_owner_chooses_the_plan(identity: Identity, role: str) -> None:
    account = await identity.signup()
    staffer = await join(identity, account, role)

    response = await change_plan(identity, staffer.headers, "growth")

    problem(response, 403)
    subscription = await identity.client.get("/api/v1/subscription", headers=identity.owner_of(account))
    assert subscription.json()["planCode"] == "starter"


async def test_an_unknown_plan_is_refused_and_nothing_changes(identity: Identity) -> None:
    account = await identity.signup()
    before = len(await identity.events(account))

    response = await change_plan(identity, identity.owner_of(account), "platinum")

    assert problem(response, 400)["errors"][0]["field"] == "planCode"
    assert len(await identity.events(account)) == before


async def test_a_plan_smaller_than_the_companys_usage_is_refused(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    assert (await change_plan(identity, owner, "scale")).status_code == 200
    for _ in range(51):
        await create_customer(identity, owner)

    response = await change_plan(identity, owner, "starter")

    detail: Any = problem(response, 409)["detail"]
    assert "maxCustomers (51 in use, Starter allows 50)" in detail
    assert (await identity.client.get("/api/v1/subscription", headers=owner)).json()["planCode"] == "scale"
