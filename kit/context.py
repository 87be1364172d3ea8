"""The signed internal context: who is asking, for which company, from where.

The gateway resolves tenant and principal, signs them into a short-lived token addressed to one
service (`aud`), and forwards it in `X-Distribu-Context`. Services refuse calls without a valid one.
"""

import uuid
from datetime import timedelta
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request

from kit.db import utcnow
from kit.errors import Forbidden, Unauthorized
from kit.events import Actor
from kit.logging import company_id_var, request_id_var
from kit.schemas import CamelModel

CONTEXT_HEADER = "X-Distribu-Context"
ALGORITHM = "HS256"
ISSUER = "distribu-gateway"

PrincipalType = Literal["anonymous", "user", "customer", "contact", "api_key", "system"]


class Principal(CamelModel):
    type: PrincipalType
    id: uuid.UUID | None = None
    # Staff role for users, contact role (ADMIN/BUYER/VIEWER) for customers and contacts.
    role: str | None = None
    scopes: list[str] = []
    # The customer a storefront principal acts for (a contact's parent customer, or itself).
    customer_id: uuid.UUID | None = None

    def has_scope(self, scope: str) -> bool:
        """Whether an API key holds `scope`; `resource:write` also grants `resource:read`."""
        if scope in self.scopes:
            return True
        resource, _, action = scope.partition(":")
        return action == "read" and f"{resource}:write" in self.scopes


ANONYMOUS = Principal(type="anonymous")


class RequestContext(CamelModel):
    company_id: uuid.UUID | None = None
    principal: Principal = ANONYMOUS
    client_ip: str | None = None
    request_id: str
    # True only on the gateway's own calls (storefront, principal and API key lookups, OpenAPI): a
    # service's `/internal/*` routes refuse every context without it, so no public path reaches them.
    internal: bool = False

    @property
    def actor(self) -> Actor:
        principal = self.principal
        if principal.type == "user":
            return Actor(type="USER", id=principal.id)
        if principal.type in ("customer", "contact"):
            return Actor(type="CUSTOMER", id=principal.id)
        if principal.type == "api_key":
            return Actor(type="SYSTEM", api_key_id=principal.id)
        return Actor(type="SYSTEM")

    def require_company(self) -> uuid.UUID:
        """The company this request is scoped to; tenant-scoped endpoints call this first."""
        if self.company_id is None:
            raise Unauthorized("Sign in to continue.")
        return self.company_id

    def require_staff(self) -> uuid.UUID:
        """The signed-in staff user's id (API keys and customers are not staff)."""
        if self.principal.type != "user" or self.principal.id is None:
            raise Forbidden("Only staff members can do this.")
        return self.principal.id


class ContextSigner:
    """Signs (gateway) and verifies (services) internal contexts with a shared secret."""

    def __init__(self, secret: str, ttl_seconds: int = 60) -> None:
        if len(secret) < 32:
            raise ValueError("DISTRIBU_INTERNAL_SECRET must be at least 32 characters")
        self._secret = secret
        self._ttl = timedelta(seconds=ttl_seconds)

    def sign(self, context: RequestContext, audience: str) -> str:
        now = utcnow()
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "iat": now,
            "exp": now + self._ttl,
            "ctx": context.model_dump(mode="json", by_alias=True),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str, audience: str) -> RequestContext:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "aud", "iss"]},
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(f"Invalid internal context: {error}.") from error
        return RequestContext.model_validate(claims["ctx"])


async def verified_context(request: Request) -> RequestContext:
    """The signed context of the request, verified for this service; 401 without a valid one."""
    token = request.headers.get(CONTEXT_HEADER)
    if not token:
        raise Unauthorized("Missing internal context: services are reached through the gateway.")
    signer: ContextSigner = request.app.state.context_signer
    context = signer.verify(token, request.app.state.service_name)
    request_id_var.set(context.request_id)
    company_id_var.set(str(context.company_id) if context.company_id else None)
    return context


# Every service route takes this (routers are mounted with it), so a call without it is refused.
Context = Annotated[RequestContext, Depends(verified_context)]
