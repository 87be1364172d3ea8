"""Two edits of one company at once (one renames it, one changes its currency), on the full topology.

Each edit alone is right; together, an edit that read the company before the other committed must not
publish a snapshot that undoes the other. Every read model of the company (catalog's, orders' and
webhooks' tenants) and the storefront directory must end up holding both changes.
"""

import asyncio
import uuid
from typing import Any

import httpx

from tests.e2e.system_state import database_urls, fetch_one, storefront_entry
from tests.support.api import sign_up
from tests.support.events import wait_until
from tests.support.systems import RunningSystem

# Several rounds: two requests at once overlap in identity only some of the time.
CURRENCIES = ("EUR", "GBP", "JPY", "CHF", "SEK", "NOK")


async def read_models(system: RunningSystem, company_id: uuid.UUID) -> dict[str, dict[str, Any] | None]:
    urls = database_urls(system)
    tenant = "SELECT {columns} FROM tenants WHERE company_id = :company_id"
    return {
        "catalog": await fetch_one(urls["catalog"], tenant.format(columns="name, currency"), company_id=company_id),
        "orders": await fetch_one(urls["orders"], tenant.format(columns="name"), company_id=company_id),
        "webhooks": await fetch_one(urls["webhooks"], tenant.format(columns="name"), company_id=company_id),
    }


async def test_concurrent_name_and_currency_edits_race_to_every_read_model_with_both_changes(
    full_system: RunningSystem,
):
    async with httpx.AsyncClient(base_url=full_system.base_url, timeout=30) as owner:
        company = (await sign_up(owner))["company"]
        company_id, slug = uuid.UUID(company["id"]), company["slug"]

        for round_number, currency in enumerate(CURRENCIES):
            name = f"Race Wholesale {round_number} {uuid.uuid4().hex[:6]}"
            renamed, repriced = await asyncio.gather(
                owner.patch("/api/v1/company", json={"name": name}),
                owner.patch("/api/v1/company", json={"currency": currency}),
            )
            assert (renamed.status_code, repriced.status_code) == (200, 200), (renamed.text, repriced.text)
            now = (await owner.get("/api/v1/company")).json()
            assert (now["name"], now["currency"]) == (name, currency)
            expected = {
                "catalog": {"name": name, "currency": currency},
                "orders": {"name": name},
                "webhooks": {"name": name},
            }

            async def both_changes_everywhere(name: str = name, expected: dict[str, Any] = expected) -> bool:
                # Each round is checked before the next: a later edit would hide a lost one.
                entry = await storefront_entry(full_system, slug)
                held = await read_models(full_system, company_id)
                return held == expected and entry is not None and entry.name == name

            await wait_until(
                both_changes_everywhere,
                within=15,
                interval=0.1,
                what=f"round {round_number}: {name!r} and {currency} in every read model and the storefront directory",
            )
