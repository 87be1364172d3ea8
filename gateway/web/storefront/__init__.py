"""A distributor's storefront: its customers' side, one module per area. `router` holds them all, in the
order they are matched."""

from fastapi import APIRouter

from gateway.web.storefront import account, addresses, auth, cart, catalog, contacts, documents, orders

router = APIRouter(include_in_schema=False)
for area in (catalog, auth, account, addresses, contacts, cart, orders, documents):
    router.include_router(area.router)
