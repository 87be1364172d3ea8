"""The processes Distribu is made of, their default ports, and where each one's settings class lives."""

import importlib
import inspect
from types import ModuleType

from pydantic_settings import BaseSettings

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
