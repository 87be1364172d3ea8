"""The signed-in account's own page."""

from fastapi import APIRouter, Request, Response

from gateway.web.rendering import render
from gateway.web.storefront.frame import AccountTab, account_frame, account_tab, store_client

router = APIRouter(include_in_schema=False)

account_tab(AccountTab("account", "Account", 0))


@router.get("/store/{slug}/account")
async def account(request: Request, slug: str) -> Response:
    client = await store_client(request, slug)
    frame = await account_frame(request, client, "account")
    if isinstance(frame, Response):
        return frame
    return render(request, "store_account.html", frame)
