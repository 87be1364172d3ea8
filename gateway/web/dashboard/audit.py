"""The dashboard's audit log: who did what, newest first, a page at a time."""

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web.dashboard.frame import NavEntry, dashboard_frame, nav_entry, staff_client
from gateway.web.documents import document_kind, file_size
from gateway.web.forms import page_status
from gateway.web.money import format_money
from gateway.web.rendering import render

router = APIRouter(include_in_schema=False)


AUDIT_PAGE_SIZE = 25


# -- what an entry did, in words ------------------------------------------------------------------------
# An entry's metadata is its event's data (camelCase, as published); each describer reads the fields it
# knows and the page falls back to the bare action when one is missing.


def _status(value: Any) -> str:
    return str(value).upper()


def _order_placed(data: dict[str, Any]) -> str:
    placed_by = data.get("placedBy") or {}
    who = placed_by.get("name") or ""
    total = format_money(data["total"], data.get("currency")) if data.get("total") is not None else ""
    text = f"{data['number']} placed" + (f" by {who}" if who else "")
    if placed_by.get("onBehalfOf"):
        text += f" on behalf of {data.get('customerName') or 'a customer'}"
    elif data.get("customerName"):
        text += f" for {data['customerName']}"
    else:
        text += " (internal order)"
    return text + (f", total {total}" if total else "")


def _order_status_changed(data: dict[str, Any]) -> str:
    return f"{data['number']} {_status(data['fromStatus'])} → {_status(data['toStatus'])}"


def _order_cancelled(data: dict[str, Any]) -> str:
    reason = data.get("reason")
    return f"{data['number']} cancelled (was {_status(data['fromStatus'])})" + (
        f": “{reason}”" if reason else ", no reason given"
    )


def _document_issued(data: dict[str, Any]) -> str:
    if data["kind"] == "INVOICE":
        return f"Invoice {data['number']} issued for {data['orderNumber']}"
    return f"{document_kind(data['kind'])} issued for {data['orderNumber']}"


def _document_voided(data: dict[str, Any]) -> str:
    reason = data.get("reason")
    return f"Invoice {data['number']} voided ({data['orderNumber']} cancelled)" + (
        f": “{reason}”" if reason else ", no reason given"
    )


def _file_named(data: dict[str, Any]) -> str:
    # A vault file by its title, and its file name when the title is another (the title is the name by default).
    title, file_name = data["title"], data["fileName"]
    return f"“{title}”" + (f" ({file_name})" if file_name != title else "")


def _document_uploaded(data: dict[str, Any]) -> str:
    text = f"{_file_named(data)} uploaded, {file_size(data['sizeBytes'])}"
    return text + (f", expires {data['expiresAt']}" if data.get("expiresAt") else "")


def _document_deleted(data: dict[str, Any]) -> str:
    return f"{_file_named(data)} deleted"


DESCRIBERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "OrderPlaced": _order_placed,
    "OrderStatusChanged": _order_status_changed,
    "OrderCancelled": _order_cancelled,
    "DocumentIssued": _document_issued,
    "DocumentVoided": _document_voided,
    "DocumentUploaded": _document_uploaded,
    "DocumentDeleted": _document_deleted,
}


def describe(entry: dict[str, Any]) -> str | None:
    """The entry in words, when its action has a describer and its metadata the fields it reads."""
    describer = DESCRIBERS.get(str(entry.get("action")))
    metadata = entry.get("metadata")
    if describer is None or not isinstance(metadata, dict):
        return None
    try:
        return describer(metadata)
    except (KeyError, TypeError):
        return None


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
        "entries": [{**entry, "description": describe(entry)} for entry in page.body.get("items", [])]
        if page.ok
        else [],
        "next_cursor": page.body.get("nextCursor") if page.ok else None,
        "first_page": cursor is None,
        "error": None if page.ok else page.detail,
    }
    return render(request, "audit_log.html", context, status_code=200 if page.ok else page_status(page.status))
