"""Orders' own settings, read from `ORDERS_*` environment variables."""

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/distribu_orders"
