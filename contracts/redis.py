"""The Redis entries identity writes and the gateway reads on every request, and the keys they live at.

Each key is `{namespace}:{prefix}:{id}`; the values are these models as camelCase JSON
(`model_dump_json(by_alias=True)` to write, `model_validate_json` to read). Identity writes an entry
after each commit that changes what it says and deletes it with what it names; on a miss the gateway
asks identity's `/internal/...` lookup, which answers with the same model and writes the entry again.
"""

import uuid
from typing import Literal

from pydantic import ConfigDict

from kit.schemas import CamelModel

# `{namespace}:principal:{ref}` → PrincipalEntry, with a TTL (identity's).
PRINCIPAL_KEY_PREFIX = "principal"
# `{namespace}:apikey:{sha256 hex of the secret}` → ApiKeyEntry, with a TTL (identity's). The gateway may
# write the plain string API_KEY_UNKNOWN there briefly, to remember a secret identity does not know.
API_KEY_KEY_PREFIX = "apikey"
API_KEY_UNKNOWN = "unknown"
# `{namespace}:apikey-used:{sha256 hex}` → when the gateway last accepted the key: ISO 8601, UTC. The
# gateway writes it, identity shows it in the key list.
API_KEY_USED_KEY_PREFIX = "apikey-used"
# `{namespace}:storefront:{slug}` → StorefrontEntry, no TTL.
STOREFRONT_KEY_PREFIX = "storefront"
# `{namespace}:session:{ref hex}.{random}` → a session, the gateway's own (gateway/sessions.py); `ref` is the
# PrincipalEntry.ref it belongs to. Identity only deletes them, when their company is deleted.
SESSION_KEY_PREFIX = "session"
# `{namespace}:ratelimit:{bucket}[:{company id}]:ip:{ip}:{window}` → a counter, the gateway's own (kit.ratelimit);
# storefront buckets name their company. Identity only deletes those, when their company is deleted.
RATE_LIMIT_KEY_PREFIX = "ratelimit"

PrincipalKind = Literal["user", "customer", "contact"]


class PrincipalEntry(CamelModel):
    """Who a session's holder is right now: a session points at `ref`, and this says who acts for it."""

    model_config = ConfigDict(frozen=True)

    # What a session points at: the membership id for staff, the customer or contact id on storefronts.
    ref: uuid.UUID
    type: PrincipalKind
    # Who acts in contexts and the audit log: the user, customer or contact.
    id: uuid.UUID
    company_id: uuid.UUID
    # The staff role (OWNER, ADMIN, MEMBER) or the storefront role (ADMIN, BUYER, VIEWER).
    role: str
    # The customer a storefront account acts for; None for staff.
    customer_id: uuid.UUID | None = None
    # The version of the membership, customer or contact at `ref` this entry describes: identity writes an
    # entry only over one of the same or an older version.
    version: int | None = None


class ApiKeyEntry(CamelModel):
    """An active API key: the company it acts for and its scopes (`resource:read` / `resource:write`)."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    company_id: uuid.UUID
    name: str
    scopes: list[str]


class StorefrontEntry(CamelModel):
    """The company behind `/store/{slug}`."""

    model_config = ConfigDict(frozen=True)

    company_id: uuid.UUID
    name: str
    slug: str
    # The company's version this entry describes: identity writes an entry only over one of the same or an
    # older version of the same company.
    version: int | None = None
