"""Identity's own settings, read from `IDENTITY_*` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/distribu_identity"
    # Length of the Starter trial every new company starts with.
    trial_days: int = Field(default=14, ge=1)
    # How long a team invite's link stays valid.
    invite_days: int = Field(default=7, ge=1)
