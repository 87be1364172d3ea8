"""The dashboard's first page: the company, its storefront's address and its subscription."""

import asyncio

from fastapi import APIRouter, Request, Response

from gateway.web.client import problem
from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.rendering import render

router = APIRouter(include_in_schema=False)

nav_entry(NavEntry("overview", "Overview", "/dashboard", 0))


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    client = await staff_client(request)
    frame, company, subscription = await asyncio.gather(
        dashboard_frame(request, client, "overview"),
        client.call("GET", "/api/v1/company"),
        client.call("GET", "/api/v1/subscription"),
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
    }
    return render(request, "dashboard.html", context)
