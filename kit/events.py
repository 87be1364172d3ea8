"""The event envelope every domain event travels in, and the base class of event payloads."""

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from kit.db import new_id, utcnow
from kit.schemas import CamelModel

ActorType = Literal["USER", "CUSTOMER", "SYSTEM"]


class Actor(CamelModel):
    type: ActorType
    id: uuid.UUID | None = None
    # Set when an integrator's API key acted; the audit log shows which key.
    api_key_id: uuid.UUID | None = None


SYSTEM_ACTOR = Actor(type="SYSTEM")


class EntityRef(CamelModel):
    type: str
    id: str
    # The entity's version after this change (1 on create, +1 on each change): consumers keep the newest
    # by it, never by the producer's clock. None for events about no versioned entity.
    version: int | None = None


def routing_key(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}"


class EventEnvelope(CamelModel):
    id: uuid.UUID = Field(default_factory=new_id)
    type: str
    version: int
    occurred_at: datetime = Field(default_factory=utcnow)
    company_id: uuid.UUID | None
    actor: Actor
    ip_address: str | None = None
    request_id: str | None = None
    entity: EntityRef
    data: dict[str, Any]

    @property
    def routing_key(self) -> str:
        return routing_key(self.type, self.version)


class Event(CamelModel):
    """Payload of one event type. Subclasses name it explicitly: a class rename never reroutes it."""

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1

    @classmethod
    def routing_key(cls) -> str:
        return routing_key(cls.event_type, cls.event_version)
