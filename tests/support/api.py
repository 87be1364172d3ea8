"""Driving a running system's public API as its users do: staff signing up, browsers' CSRF header."""

import uuid
from typing import Any

import httpx

from gateway.csrf import CSRF_COOKIE, CSRF_HEADER

PROBLEM_JSON = "application/problem+json"
PASSWORD = "correct horse battery"
# What an owner gives the first time they choose a plan (`POST /api/v1/subscription`).
BILLING_PROFILE = {
    "legalName": "Acme Distributors LLC",
    "email": "billing@acme.example",
    "addressLine1": "1 Warehouse Way",
    "city": "Springfield",
    "region": "IL",
    "postalCode": "62704",
    "country": "US",
    "taxId": "US-12-3456789",
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def send_csrf_token(client: httpx.AsyncClient) -> None:
    """What the web UI's scripts do after signing in: echo the CSRF cookie in a header on every change."""
    client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]


async def sign_up(client: httpx.AsyncClient, company_name: str | None = None) -> dict[str, Any]:
    """A new company through `client`, which is then signed in as its owner."""
    tag = uuid.uuid4().hex[:8]
    response = await client.post(
        "/api/v1/signup",
        json={
            "companyName": company_name or f"Acme Distributors {tag}",
            "name": "Ada Owner",
            "email": f"owner-{tag}@example.com",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    send_csrf_token(client)
    body: dict[str, Any] = response.json()
    return body


async def audit_entries(client: httpx.AsyncClient, **filters: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit-logs", params=filters)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
