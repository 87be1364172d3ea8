"""Events raised about API keys (entity type `ApiKey`). Never the secret nor its hash."""

import uuid
from typing import ClassVar

from kit.events import EntityRef, Event


def api_key_entity(api_key_id: uuid.UUID) -> EntityRef:
    return EntityRef(type="ApiKey", id=str(api_key_id))


class ApiKeyCreated(Event):
    event_type: ClassVar[str] = "ApiKeyCreated"

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]


class ApiKeyRevoked(Event):
    event_type: ClassVar[str] = "ApiKeyRevoked"

    id: uuid.UUID
    name: str
    prefix: str
