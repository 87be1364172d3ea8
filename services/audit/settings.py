"""Audit's own settings, read from `AUDIT_*` environment variables."""

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/distribu_audit"
