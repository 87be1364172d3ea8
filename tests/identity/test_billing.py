"""Plans and the company's subscription: limits, trial status and usage."""

import uuid
from datetime import timedelta

from sqlalchemy import select

from kit.db import utcnow
from services.identity.billing.service import effective_status, trial_days_left
from services.identity.models import Subscription, SubscriptionStatus
from tests.identity.conftest import Identity

STARTER_LIMITS = {"maxProducts": 100, "maxTeamMembers": 3, "maxCustomers": 50, "maxOrdersPerMonth": 200}


async def test_plans_list_prices_and_limits_with_null_for_unlimited(identity: Identity) -> None:
    response = await identity.client.get("/api/v1/plans", headers=identity.anonymous())

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "code": "starter",
                "name": "Starter",
                "monthlyPrice": "29.00",
                "currency": "USD",
                "limits": STARTER_LIMITS,
            },
            {
                "code": "growth",
                "name": "Growth",
                "monthlyPrice": "99.00",
                "currency": "USD",
                "limits": {"maxProducts": 2000, "maxTeamMembers": 10, "maxCustomers": 500, "maxOrdersPerMonth": 5000},
            },
            {
                "code": "scale",
                "name": "Scale",
                "monthlyPrice": "299.00",
                "currency": "USD",
                "limits": {
                    "maxProducts": None,
                    "maxTeamMembers": None,
                    "maxCustomers": None,
                    "maxOrdersPerMonth": None,
                },
            },
        ],
        "nextCursor": None,
    }


async def test_a_new_company_is_on_a_14_day_starter_trial(identity: Identity) -> None:
    account = await identity.signup()

    response = await identity.client.get("/api/v1/subscription", headers=identity.owner_of(account))

    assert response.status_code == 200
    subscription = response.json()
    assert subscription["trialEndsAt"]
    assert subscription == {
        "planCode": "starter",
        "planName": "Starter",
        "status": "TRIALING",
        "trialEndsAt": subscription["trialEndsAt"],
        "trialDaysLeft": 14,
        "limits": STARTER_LIMITS,
        "usage": {"teamMembers": 1, "customers": 0, "products": 0, "ordersThisMonth": 0},
        # None until the company first chooses a plan.
        "billingProfile": None,
    }


async def test_a_trial_past_its_end_reads_expired(identity: Identity) -> None:
    account = await identity.signup()
    async with identity.database.sessionmaker() as session, session.begin():
        subscription = await session.scalar(
            select(Subscription).where(Subscription.company_id == uuid.UUID(account["company"]["id"]))
        )
        assert subscription is not None
        subscription.trial_ends_at = utcnow() - timedelta(hours=1)

    response = await identity.client.get("/api/v1/subscription", headers=identity.owner_of(account))

    assert response.json()["status"] == "EXPIRED"
    assert response.json()["trialDaysLeft"] == 0


def test_trial_days_round_up_and_paid_plans_have_none() -> None:
    now = utcnow()
    trialing = Subscription(status=SubscriptionStatus.TRIALING, trial_ends_at=now + timedelta(days=2, hours=1))
    active = Subscription(status=SubscriptionStatus.ACTIVE, trial_ends_at=None)

    assert (effective_status(trialing, now), trial_days_left(trialing, now)) == ("TRIALING", 3)
    assert (effective_status(active, now), trial_days_left(active, now)) == ("ACTIVE", None)
