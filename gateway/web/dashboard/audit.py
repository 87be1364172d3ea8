"""The dashboard's audit log: who did what, newest first, a page at a time."""

import asyncio
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.forms import page_status
from gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


AUDIT_PAGE_SIZE = 25


nav_entry(NavEntry("audit_log", "Audit log", "/dashboard/audit-log", 50, needs=("GET", "/api/v1/audit-logs")))


@router.get("/dashboard/audit-log")
async def audit_log(request: Request) -> Response:
    client = await staff_client(request)
    cursor = request.query_params.get("cursor")
    query = {"limit": str(AUDIT_PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
    frame, page = await asyncio.gather(
        dashboard_frame(request, client, "audit_log"),
        client.call("GET", "/api/v1/audit-logs", query=urlencode(query)),
    )
    if isinstance(frame, Response):
        return frame
    context = {
        **frame,
        "entries": page.body.get("items", []) if page.ok else [],
        "next_cursor": page.body.get("nextCursor") if page.ok else None,
        "first_page": cursor is None,
        "error": None if page.ok else page.detail,
    }
    return render(request, "audit_log.html", context, status_code=200 if page.ok else page_status(page.status))
