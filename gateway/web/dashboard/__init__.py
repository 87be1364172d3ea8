"""The dashboard: a company's staff at work, one module per area. Each area registers its own routes,
nav entry and flash messages; `router` holds them all, in the order they are matched."""

from fastapi import APIRouter

from gateway.web.dashboard import (
    api_keys,
    audit,
    auth,
    billing,
    customer_addresses,
    customer_contacts,
    customer_documents,
    customers,
    orders,
    overview,
    products,
    settings,
    team,
    webhooks,
)

router = APIRouter(include_in_schema=False)
for area in (
    auth,
    overview,
    settings,
    billing,
    audit,
    customers,
    customer_contacts,
    customer_addresses,
    customer_documents,
    team,
    api_keys,
    webhooks,
    products,
    orders,
):
    router.include_router(area.router)
