"""Choosing a plan: the owner moves the company to another plan with its billing profile; the new limits and
the profile travel to other services."""

from typing import Any

import pytest

from tests.identity.conftest import Identity
from tests.identity.people import create_customer
from tests.identity.staff import join, problem
from tests.support.api import BILLING_PROFILE


async def change_plan(
    identity: Identity,
    headers: dict[str, str],
    plan_code: str,
    billing_profile: dict[str, Any] | None = BILLING_PROFILE,
):
    body: dict[str, Any] = {"planCode": plan_code}
    if billing_profile is not None:
        body["billingProfile"] = billing_profile
    return await identity.client.post("/api/v1/subscription", json=body, headers=headers)


async def subscription(identity: Identity, headers: dict[str, str]) -> dict[str, Any]:
    response = await identity.client.get("/api/v1/subscription", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


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
    profile_event, event = (await identity.events(account))[before:]
    assert profile_event.type == "BillingProfileChanged"
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


async def test_the_first_plan_needs_a_billing_profile_and_nothing_changes_without_one(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    before = len(await identity.events(account))

    response = await change_plan(identity, owner, "growth", billing_profile=None)

    body = problem(response, 400)
    assert body["errors"][0]["field"] == "billingProfile"
    assert "legalName" in body["detail"]
    after = await subscription(identity, owner)
    assert (after["planCode"], after["status"], after["billingProfile"]) == ("starter", "TRIALING", None)
    assert len(await identity.events(account)) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legalName", "  "),
        ("email", "not-an-email"),
        ("addressLine1", ""),
        ("city", "x" * 101),
        ("postalCode", ""),
        ("country", "ZZ"),
        ("taxId", "x" * 51),
    ],
)
async def test_a_billing_profile_field_that_breaks_its_rule_is_named_and_nothing_changes(
    identity: Identity, field: str, value: str
) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    before = len(await identity.events(account))

    response = await change_plan(identity, owner, "growth", billing_profile={**BILLING_PROFILE, field: value})

    assert problem(response, 422)["errors"][0]["field"] == f"billingProfile.{field}"
    after = await subscription(identity, owner)
    assert (after["planCode"], after["billingProfile"]) == ("starter", None)
    assert len(await identity.events(account)) == before


async def test_the_billing_profile_is_kept_shown_and_published_whole(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    given = {**BILLING_PROFILE, "legalName": "  Acme Distributors LLC ", "country": "us", "taxId": ""}

    response = await change_plan(identity, owner, "growth", billing_profile=given)

    assert response.status_code == 200, response.text
    expected = {**BILLING_PROFILE, "addressLine2": None, "taxId": None}
    shown = response.json()["billingProfile"]
    assert {name: shown[name] for name in expected} == expected
    assert (await subscription(identity, owner))["billingProfile"] == shown
    [event] = [event for event in await identity.events(account) if event.type == "BillingProfileChanged"]
    assert (event.entity.type, event.entity.version) == ("BillingProfile", 1)
    assert {name: event.data[name] for name in expected} == expected
    assert sorted(event.data["changes"]) == sorted([*expected])
    assert str(event.actor.id) == account["user"]["id"]


async def test_the_owner_changes_only_the_billing_profile_by_choosing_the_same_plan(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    assert (await change_plan(identity, owner, "growth")).status_code == 200
    before = len(await identity.events(account))

    moved = {**BILLING_PROFILE, "addressLine1": "2 Depot Road", "addressLine2": "Dock 4"}
    response = await change_plan(identity, owner, "growth", billing_profile=moved)

    assert response.status_code == 200, response.text
    assert (response.json()["billingProfile"]["addressLine1"], response.json()["planCode"]) == (
        "2 Depot Road",
        "growth",
    )
    [event] = (await identity.events(account))[before:]
    assert event.type == "BillingProfileChanged"
    assert (event.entity.version, event.data["changes"]) == (2, ["addressLine1", "addressLine2"])
    assert (event.data["addressLine1"], event.data["legalName"]) == ("2 Depot Road", BILLING_PROFILE["legalName"])

    # The same plan and the same profile again: nothing to publish.
    assert (await change_plan(identity, owner, "growth", billing_profile=moved)).status_code == 200
    assert len(await identity.events(account)) == before + 1


async def test_a_later_plan_change_keeps_the_billing_profile_when_none_is_given(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    assert (await change_plan(identity, owner, "growth")).status_code == 200
    before = len(await identity.events(account))

    response = await change_plan(identity, owner, "scale", billing_profile=None)

    assert response.status_code == 200, response.text
    assert response.json()["billingProfile"]["legalName"] == BILLING_PROFILE["legalName"]
    assert [event.type for event in (await identity.events(account))[before:]] == ["SubscriptionChanged"]


async def test_a_refused_plan_change_leaves_the_billing_profile_as_it_was(identity: Identity) -> None:
    account = await identity.signup()
    owner = identity.owner_of(account)
    assert (await change_plan(identity, owner, "scale")).status_code == 200
    for _ in range(51):
        await create_customer(identity, owner)
    before = len(await identity.events(account))

    response = await change_plan(identity, owner, "starter", billing_profile={**BILLING_PROFILE, "city": "Chicago"})

    problem(response, 409)
    assert (await subscription(identity, owner))["billingProfile"]["city"] == BILLING_PROFILE["city"]
    assert len(await identity.events(account)) == before
