"""Catalog's own settings, read from `CATALOG_*` environment variables."""

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/distribu_catalog"
