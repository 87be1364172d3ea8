"""References to API keys (entity type `ApiKey`) for the events about them (contracts.identity)."""

from kit.events import EntityRef
from services.identity.models import ApiKey


def api_key_entity(key: ApiKey) -> EntityRef:
    """The key at its current version: bump `key.version` first when the event is a change."""
    return EntityRef(type="ApiKey", id=str(key.id), version=key.version)
