"""The signed internal context: only a fresh, untampered token addressed to this service is accepted."""

import base64
import json
import uuid

import pytest

from kit.context import ContextSigner, Principal, RequestContext
from kit.errors import Forbidden, Unauthorized
from kit.events import Actor

SECRET = "s" * 48


def _context() -> RequestContext:
    return RequestContext(
        company_id=uuid.uuid4(),
        principal=Principal(type="user", id=uuid.uuid4(), role="ADMIN", scopes=[]),
        client_ip="203.0.113.9",
        request_id="req-1",
    )


def test_a_signed_context_verifies_for_its_audience() -> None:
    signer = ContextSigner(SECRET)
    context = _context()

    assert signer.verify(signer.sign(context, "audit"), "audit") == context


def test_a_context_for_another_service_is_rejected() -> None:
    signer = ContextSigner(SECRET)

    with pytest.raises(Unauthorized, match=r"(?i)audience"):
        signer.verify(signer.sign(_context(), "identity"), "audit")


def test_an_expired_context_is_rejected() -> None:
    token = ContextSigner(SECRET, ttl_seconds=-1).sign(_context(), "audit")

    with pytest.raises(Unauthorized, match="expired"):
        ContextSigner(SECRET).verify(token, "audit")


def test_a_tampered_context_is_rejected() -> None:
    signer = ContextSigner(SECRET)
    header, payload, signature = signer.sign(_context(), "audit").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["ctx"]["principal"]["role"] = "OWNER"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    with pytest.raises(Unauthorized, match=r"[Ss]ignature"):
        signer.verify(f"{header}.{forged}.{signature}", "audit")


def test_a_context_signed_with_another_secret_is_rejected() -> None:
    token = ContextSigner("x" * 48).sign(_context(), "audit")

    with pytest.raises(Unauthorized):
        ContextSigner(SECRET).verify(token, "audit")


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
def test_garbage_is_rejected(token: str) -> None:
    with pytest.raises(Unauthorized):
        ContextSigner(SECRET).verify(token, "audit")


def test_a_short_secret_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="32"):
        ContextSigner("short")


def test_the_actor_follows_the_principal() -> None:
    user, customer, key = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def actor(principal: Principal) -> Actor:
        return RequestContext(principal=principal, request_id="r").actor

    assert actor(Principal(type="user", id=user)) == Actor(type="USER", id=user)
    assert actor(Principal(type="contact", id=customer)) == Actor(type="CUSTOMER", id=customer)
    assert actor(Principal(type="api_key", id=key)) == Actor(type="SYSTEM", api_key_id=key)
    assert actor(Principal(type="anonymous")) == Actor(type="SYSTEM")


def test_company_and_staff_requirements() -> None:
    with pytest.raises(Unauthorized):
        RequestContext(request_id="r").require_company()
    with pytest.raises(Forbidden):
        RequestContext(request_id="r", principal=Principal(type="api_key", id=uuid.uuid4())).require_staff()
    user = uuid.uuid4()
    assert RequestContext(request_id="r", principal=Principal(type="user", id=user)).require_staff() == user
