"""The dashboard's Billing page: the company's plan, its trial, usage against the plan's limits, the plans to
choose from, and who the company bills as (its billing details, asked for when it first chooses a plan)."""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web.client import ApiResult, PageClient, problem
from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.forms import FormState, go, show_again, submit, verified_form
from gateway.web.rendering import flash_messages, render

router = APIRouter(include_in_schema=False)

flash_messages(
    {
        "plan-chosen": ("success", "Plan saved with your billing details. Its limits apply at once."),
        "billing-details-saved": ("success", "Billing details saved. Your plan stays as it was."),
    }
)

PLANS_API = "/api/v1/plans"
SUBSCRIPTION_API = "/api/v1/subscription"
BILLING_PAGE = "/dashboard/billing"
# The billing profile's fields in the API → the form's. The address takes the address form's names, so it is laid
# out per country as every address form is (customer_address_fields.html); it has no recipient, phone or label.
PROFILE_FIELDS = {
    "legalName": "legal_name",
    "email": "email",
    "addressLine1": "line1",
    "addressLine2": "line2",
    "city": "city",
    "region": "region",
    "postalCode": "postal_code",
    "country": "country",
    "taxId": "tax_id",
}
OMITTED_ADDRESS_FIELDS = ("recipient", "phone", "label")
BILLING_FIELDS = {"planCode": "plan_code"} | {f"billingProfile.{name}": field for name, field in PROFILE_FIELDS.items()}
# The form's second button: the billing details alone, with the plan the company is on now, whatever is ticked.
DETAILS_ONLY = "details"
NO_PLAN = "Choose a plan."

nav_entry(NavEntry("billing", "Billing", BILLING_PAGE, 55, needs=("GET", SUBSCRIPTION_API)))


@dataclass(frozen=True)
class Limit:
    """One of the four things a plan caps: its names in the API's `limits` and `usage`, and a page's words for it."""

    name: str
    usage: str
    label: str  # what is counted against the limit, as the usage list says it
    noun: str  # what a plan allows so many of


LIMITS = (
    Limit("maxOrdersPerMonth", "ordersThisMonth", "Orders this month", "orders a month"),
    Limit("maxProducts", "products", "Products", "products"),
    Limit("maxCustomers", "customers", "Customers", "customers"),
    Limit("maxTeamMembers", "teamMembers", "Team members", "team members, invites included"),
)


@router.get(BILLING_PAGE)
async def billing_page(request: Request) -> Response:
    client = await staff_client(request)
    return await _billing_page(request, client)


@router.post(BILLING_PAGE)
async def choose_plan(request: Request) -> Response:
    form = await verified_form(request)
    client = await staff_client(request)
    values = {"plan_code": form.get("plan_code", ""), **_profile_input(form)}
    details_only = form.get("intent") == DETAILS_ONLY
    plan_code = values["plan_code"]
    if details_only:
        # The plan the company is on as the details are saved, not the one this page showed: never a change back.
        current = await client.call("GET", SUBSCRIPTION_API)
        if not current.ok:
            raise problem(current)
        plan_code = str(current.body["planCode"])

    async def refused(result: ApiResult, errors: dict[str, str]) -> Response:
        if result.status == 403:
            # Not the owner (or no longer): they have no form to show the refusal in.
            raise problem(result)
        if not plan_code:
            # The API names the missing plan by its code; the form offers the plans by name.
            errors["plan_code"] = NO_PLAN
        forms = {"form": FormState(values, errors)}
        return await show_again(partial(_billing_page, request, client), result, errors, forms)

    body = {"planCode": plan_code, "billingProfile": _profile_body(values)}
    # The message is shown with the plan it is about, at the top of the page.
    success = go(f"{BILLING_PAGE}#current-plan", "billing-details-saved" if details_only else "plan-chosen")
    return await submit(client, "POST", SUBSCRIPTION_API, body, fields=BILLING_FIELDS, success=success, refused=refused)


async def _billing_page(
    request: Request,
    client: PageClient,
    *,
    form: FormState | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    frame, plans, subscription = await asyncio.gather(
        dashboard_frame(request, client, "billing"),
        client.call("GET", PLANS_API),
        client.call("GET", SUBSCRIPTION_API),
    )
    if isinstance(frame, Response):
        return frame
    for answer in (plans, subscription):
        if not answer.ok:
            raise problem(answer)
    current = subscription.body
    profile = current["billingProfile"]
    if form is None:
        form = FormState({"plan_code": str(current["planCode"]), **_profile_values(profile)})
    choices = [_plan_of(plan, current) for plan in plans.body["items"]]
    context = {
        **frame,
        "subscription": current,
        "usage": [_usage_of(limit, current) for limit in LIMITS],
        "plans": choices,
        "current_plan": next((plan for plan in choices if plan["current"]), None),
        "profile": profile,
        "profile_address": _address_of(profile) if profile else None,
        # Only whom the API lets choose the plan (the owner) gets the form; the others see the same, read-only.
        "can_choose": client.gateway.routes.staff_role_may(client.caller.role, "POST", SUBSCRIPTION_API),
        "form": form,
        "omitted_address_fields": OMITTED_ADDRESS_FIELDS,
        "details_only": DETAILS_ONLY,
        # A refusal is shown in the form (the page opens there), not at the top of the page.
        "form_error": error,
    }
    return render(request, "billing.html", context, status_code=status_code)


def _usage_of(limit: Limit, subscription: Mapping[str, Any]) -> dict[str, Any]:
    used = int((subscription.get("usage") or {}).get(limit.usage) or 0)
    allowed = (subscription.get("limits") or {}).get(limit.name)
    return {
        "name": limit.name,
        "label": limit.label,
        "used": f"{used:,}",
        "limit": None if allowed is None else f"{allowed:,}",
        # For the bar: how much of the limit is taken, and from where it is nearly all (80%).
        "value": min(used, allowed) if allowed is not None else None,
        "max": allowed,
        "nearly": allowed * 0.8 if allowed is not None else None,
        "reached": allowed is not None and used >= allowed,
    }


def _plan_of(plan: Mapping[str, Any], subscription: Mapping[str, Any]) -> dict[str, Any]:
    limits = plan.get("limits") or {}
    return {
        **plan,
        "current": plan["code"] == subscription["planCode"],
        "allows": [_allowance(limits.get(limit.name), limit.noun) for limit in LIMITS],
    }


def _allowance(allowed: int | None, noun: str) -> str:
    return f"Unlimited {noun}" if allowed is None else f"{allowed:,} {noun}"


def _profile_values(profile: Mapping[str, Any] | None) -> dict[str, str]:
    """The billing profile as the API gives it → the form's values (empty without one)."""
    return {field: str((profile or {}).get(name) or "") for name, field in PROFILE_FIELDS.items()}


def _profile_input(form: Mapping[str, str]) -> dict[str, str]:
    """The billing details as typed, to show the form again."""
    return {field: form.get(field, "") for field in PROFILE_FIELDS.values()}


def _profile_body(values: Mapping[str, str]) -> dict[str, str]:
    # Optional fields left blank go as blank: the API takes them as not given.
    return {name: values.get(field, "") for name, field in PROFILE_FIELDS.items()}


def _address_of(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The billing profile's address as the address partial prints it (`_address.html`); the legal name is shown
    on its own."""
    return {
        "line1": profile.get("addressLine1"),
        "line2": profile.get("addressLine2"),
        "city": profile.get("city"),
        "region": profile.get("region"),
        "postalCode": profile.get("postalCode"),
        "country": profile.get("country"),
    }
