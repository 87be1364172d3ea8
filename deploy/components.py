"""The processes Distribu is made of, their default ports, where each one's settings class lives, and the key
the local run modes seal webhook secrets with."""

import importlib
import inspect
import json
import os
from pathlib import Path
from types import ModuleType

from pydantic_settings import BaseSettings

from services.webhooks.sealing import new_key

SERVICES = ("identity", "catalog", "orders", "audit", "webhooks")

GATEWAY_PORT = 8000
SERVICE_PORTS = {"identity": 8101, "catalog": 8102, "orders": 8103, "audit": 8104, "webhooks": 8105}


def settings_class(module: ModuleType) -> type[BaseSettings]:
    """The one pydantic-settings class a service's `settings` module defines."""
    found = [
        value
        for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, BaseSettings) and value.__module__ == module.__name__
    ]
    if len(found) != 1:
        raise LookupError(f"{module.__name__} should define exactly one settings class, found {len(found)}")
    return found[0]


def service_settings_class(service: str) -> type[BaseSettings]:
    return settings_class(importlib.import_module(f"services.{service}.settings"))


SEALING_KEYS = "WEBHOOKS_SECRET_KEYS"


def local_sealing_keys(data_dir: Path) -> str:
    """WEBHOOKS_SECRET_KEYS for `make run` and `make up`: the environment's, else the list kept in `data_dir` (made
    there at the first start, readable by its owner only), so the secrets an earlier run sealed still open."""
    given = os.environ.get(SEALING_KEYS)
    if given:
        return given
    path = data_dir / "webhooks-secret-keys.json"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(json.dumps([new_key()]))
    return path.read_text().strip()
