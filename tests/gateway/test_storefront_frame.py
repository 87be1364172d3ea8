"""The frame around every storefront page: who is signed in, whether they may order, and their cart's count,
fetched beside who they are only for the roles that have a cart."""

import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from contracts.redis import StorefrontEntry
from gateway.pipeline import Caller
from gateway.sessions import StoredSession
from gateway.web.client import ApiResult, PageClient
from gateway.web.storefront.frame import store_frame
from kit.context import Principal
from kit.db import utcnow

STORE = StorefrontEntry(company_id=uuid.uuid4(), name="Acme Distributors", slug="acme")


@dataclass
class RecordingClient:
    """A page's client that answers as the storefront API would for one signed-in account, and records the
    paths the frame asks for."""

    caller: Caller
    asked: list[str] = field(default_factory=list)

    async def call(self, method: str, path: str, **_: Any) -> ApiResult:
        self.asked.append(path)
        if path.endswith("/me"):
            return ApiResult(200, {"role": self.caller.principal.role, "name": "Vi"})
        return ApiResult(200, {"items": [{"sku": "OIL-5L"}, {"sku": "GLOVE-1"}]})


def signed_in(role: str) -> RecordingClient:
    contact_id, customer_id = uuid.uuid4(), uuid.uuid4()
    session = StoredSession(
        token="t",
        kind="storefront",
        ref=contact_id,
        principal_type="contact",
        principal_id=contact_id,
        company_id=STORE.company_id,
        created_at=utcnow(),
    )
    principal = Principal(type="contact", id=contact_id, role=role, customer_id=customer_id)
    caller = Caller(
        request_id="r",
        client_ip=None,
        principal=principal,
        company_id=STORE.company_id,
        session=session,
        storefront=STORE,
    )
    return RecordingClient(caller)


@pytest.mark.parametrize("role", ["ADMIN", "BUYER"])
async def test_a_buyer_sees_their_carts_count(role: str) -> None:
    client = signed_in(role)

    frame = await store_frame(cast(PageClient, client))

    assert (frame["can_order"], frame["cart_count"]) == (True, 2)
    assert sorted(client.asked) == ["/store/acme/api/cart", "/store/acme/api/me"]


async def test_a_viewers_frame_never_asks_for_a_cart() -> None:
    client = signed_in("VIEWER")

    frame = await store_frame(cast(PageClient, client))

    assert (frame["can_order"], frame["cart_count"]) == (False, None)
    assert client.asked == ["/store/acme/api/me"]
