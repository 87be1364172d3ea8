"""The dashboard's first page: the company, its storefront's address, its subscription, and the customers'
documents expiring soon (or lately expired)."""

import asyncio
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.client import problem
from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.rendering import render

router = APIRouter(include_in_schema=False)

# How far ahead the home page looks for vault files about to expire (the API also lists the last 30 days').
EXPIRING_WITHIN_DAYS = 30

nav_entry(NavEntry("overview", "Overview", "/dashboard", 0))


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    client = await staff_client(request)
    frame, company, subscription, expiring = await asyncio.gather(
        dashboard_frame(request, client, "overview"),
        client.call("GET", "/api/v1/company"),
        client.call("GET", "/api/v1/subscription"),
        client.call("GET", "/api/v1/documents/expiring", query=urlencode({"days": str(EXPIRING_WITHIN_DAYS)})),
    )
    if isinstance(frame, Response):
        return frame
    if not company.ok:
        raise problem(company)
    public_url = str(request.app.state.settings.public_url).rstrip("/")
    context = {
        **frame,
        "company": company.body,
        "storefront_url": f"{public_url}/store/{company.body['slug']}",
        "subscription": subscription.body if subscription.ok else None,
        "subscription_error": None if subscription.ok else subscription.detail,
        # Shown only when there is something to act on; orders briefly unavailable leaves the list out.
        "expiring_documents": expiring.body.get("items", []) if expiring.ok else [],
        "expiring_within_days": EXPIRING_WITHIN_DAYS,
    }
    return render(request, "dashboard.html", context)
