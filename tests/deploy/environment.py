"""The environment variables the code reads, collected from its settings classes."""

from pydantic_settings import BaseSettings

from deploy.components import SERVICES, service_settings_class
from gateway.settings import GatewaySettings
from kit.settings import PlatformSettings


def settings_classes() -> list[type[BaseSettings]]:
    return [PlatformSettings, GatewaySettings, *(service_settings_class(service) for service in SERVICES)]


def variable_names(settings: type[BaseSettings]) -> set[str]:
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
        names.add((alias or f"{prefix}{name}").upper())
    return names


def environment_variables() -> set[str]:
    """Every variable any Distribu process reads (settings are case-insensitive; these are upper case)."""
    return set().union(*(variable_names(settings) for settings in settings_classes()))
