"""Forwarding mechanics: what crosses to a service, what comes back, and what the gateway refuses."""

import jwt
import pytest

from kit.context import CONTEXT_HEADER, ContextSigner, Principal, RequestContext
from tests.gateway.conftest import GatewayFactory, GatewayHarness


async def test_forwards_method_path_query_body_and_content_headers(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    response = await gateway.client.post(
        "/api/v1/products/abc/things?x=1&y=two",
        content=b'{"sku": "A-1"}',
        headers={"Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": "k-1"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "service": "catalog",
        "method": "POST",
        "path": "/api/v1/products/abc/things",
        "query": "x=1&y=two",
        "body": '{"sku": "A-1"}',
    }
    received = gateway.services["catalog"].received[-1]
    assert received.headers["content-type"] == "application/json"
    assert received.headers["accept"] == "application/json"
    assert received.headers["idempotency-key"] == "k-1"


async def test_strips_cookies_authorization_hop_by_hop_and_client_sent_context(gateway: GatewayHarness) -> None:
    await gateway.sign_up()
    forged = ContextSigner("f" * 40).sign(RequestContext(request_id="forged"), "catalog")

    await gateway.client.get(
        "/api/v1/products",
        headers={
            "Authorization": "Basic dXNlcjpwYXNz",
            CONTEXT_HEADER: forged,
            "Proxy-Authorization": "Basic eA==",
            "TE": "trailers",
            "Upgrade": "h2c",
            "X-Forwarded-For": "10.9.9.9",
            "Cookie": f"distribu_session={gateway.client.cookies['distribu_session']}; other=1",
        },
    )

    headers = gateway.services["catalog"].received[-1].headers
    for name in ("cookie", "authorization", "proxy-authorization", "te", "upgrade", "x-forwarded-for"):
        assert name not in headers
    assert headers[CONTEXT_HEADER.lower()] != forged


async def test_signed_context_names_company_principal_ip_and_request_id_for_the_service_only(
    gateway: GatewayHarness,
) -> None:
    signed_up = await gateway.sign_up(role="ADMIN")

    await gateway.client.get("/api/v1/orders", headers={"X-Request-Id": "req-123.abc_X"})

    orders = gateway.services["orders"]
    received = orders.received[-1]
    context = orders.context_of(received)
    assert str(context.company_id) == signed_up["company"]["id"]
    assert context.principal.type == "user"
    assert str(context.principal.id) == signed_up["user"]["id"]
    assert context.principal.role == "ADMIN"
    assert context.client_ip == gateway.client_ip
    assert context.request_id == "req-123.abc_X"
    assert received.headers["x-request-id"] == "req-123.abc_X"
    # Addressed to orders: no other service accepts it.
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(
            str(received.context_token),
            gateway.signer._secret,
            algorithms=["HS256"],
            audience="identity",
            issuer="distribu-gateway",
        )


async def test_request_id_is_echoed_and_an_unsafe_one_replaced(gateway: GatewayHarness) -> None:
    kept = await gateway.client.get("/api/v1/plans", headers={"X-Request-Id": "abc-1"})
    replaced = await gateway.client.get("/api/v1/plans", headers={"X-Request-Id": "bad id\twith spaces"})
    too_long = await gateway.client.get("/api/v1/plans", headers={"X-Request-Id": "a" * 129})
    missing = await gateway.client.get("/healthz")

    assert kept.headers["x-request-id"] == "abc-1"
    assert replaced.headers["x-request-id"] not in ("", "bad id\twith spaces")
    assert len(too_long.headers["x-request-id"]) == 32
    assert len(missing.headers["x-request-id"]) == 32
    identity = gateway.services["identity"]
    assert [identity.context_of(call).request_id for call in identity.received] == [
        "abc-1",
        replaced.headers["x-request-id"],
        too_long.headers["x-request-id"],
    ]


async def test_public_route_is_forwarded_anonymously(gateway: GatewayHarness) -> None:
    response = await gateway.client.get("/api/v1/plans")

    assert response.status_code == 200
    context = gateway.services["identity"].context_of(gateway.services["identity"].received[-1])
    assert context.principal == Principal(type="anonymous")
    assert context.company_id is None


async def test_upstream_headers_come_back_but_not_its_cookies(gateway: GatewayHarness) -> None:
    response = await gateway.client.get("/api/v1/plans")

    assert response.headers["x-upstream"] == "identity"
    assert "upstream" not in response.cookies
    assert "set-cookie" not in response.headers


async def test_staff_route_without_session_is_401_and_not_forwarded(gateway: GatewayHarness) -> None:
    response = await gateway.client.get("/api/v1/company")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Sign in to continue."
    assert gateway.services["identity"].calls_to("/api/v1/company") == []


@pytest.mark.parametrize(
    ("method", "path", "required"),
    [
        ("PATCH", "/api/v1/company", "OWNER or ADMIN"),
        ("GET", "/api/v1/audit-logs", "OWNER or ADMIN"),
        ("POST", "/api/v1/webhooks", "OWNER or ADMIN"),
        ("POST", "/api/v1/subscription", "OWNER"),
        ("DELETE", "/api/v1/company", "OWNER"),
    ],
)
async def test_member_is_refused_what_their_role_does_not_allow(
    gateway: GatewayHarness, method: str, path: str, required: str
) -> None:
    await gateway.sign_up(role="MEMBER")

    response = await gateway.client.request(method, path)

    assert response.status_code == 403
    assert response.json()["detail"] == f"This requires the {required} role."
    service = gateway.services[
        "identity" if path.endswith(("/company", "/subscription")) else path.split("/")[3].replace("-logs", "")
    ]
    assert service.calls_to(path) == []


async def test_only_the_owner_may_delete_the_company(gateway: GatewayHarness) -> None:
    await gateway.sign_up(role="ADMIN")

    refused = await gateway.client.request("DELETE", "/api/v1/company", json={"confirmSlug": "acme"})

    assert refused.status_code == 403
    assert refused.json()["detail"] == "This requires the OWNER role."
    assert gateway.services["identity"].calls_to("/api/v1/company") == []


async def test_member_reaches_what_any_staff_role_may_use(gateway: GatewayHarness) -> None:
    await gateway.sign_up(role="MEMBER")

    assert (await gateway.client.get("/api/v1/company")).status_code == 200
    assert (await gateway.client.get("/api/v1/customers/42/documents")).json()["service"] == "orders"


async def test_unknown_api_path_is_a_404_problem(gateway: GatewayHarness) -> None:
    response = await gateway.client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "There is no API endpoint at /api/v1/nothing-here."
    assert "x-request-id" in response.headers


async def test_wrong_method_is_a_405_problem_with_allow(gateway: GatewayHarness) -> None:
    response = await gateway.client.delete("/api/v1/plans")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


async def test_unreachable_service_is_a_503_problem(make_gateway: GatewayFactory) -> None:
    async with make_gateway(down=("audit",)) as gateway:
        await gateway.sign_up()

        response = await gateway.client.get("/api/v1/audit-logs")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The audit service is unavailable right now; try again shortly."


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(make_gateway: GatewayFactory) -> None:
    async with make_gateway(trusted_proxies=["10.0.0.0/8"]) as gateway:
        await gateway.client.get("/api/v1/plans", headers={"X-Forwarded-For": "203.0.113.9"})
        async with gateway.client_from("10.1.2.3") as proxied:
            await proxied.get("/api/v1/plans", headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.5"})

    identity = gateway.services["identity"]
    untrusted, trusted = (identity.context_of(call).client_ip for call in identity.received)
    assert untrusted == gateway.client_ip
    assert trusted == "203.0.113.9"
