"""Identity's own settings, read from `IDENTITY_*` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.ratelimit import BackoffPolicy
from kit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/distribu_identity"
    # Length of the Starter trial every new company starts with.
    trial_days: int = Field(default=14, ge=1)
    # How long a team invite's link stays valid.
    invite_days: int = Field(default=7, ge=1)
    # Every password check of one account (staff: their email; storefront: the company and email),
    # whichever route makes it: this many failures cost nothing, then each further one makes the next
    # attempt wait, doubling from the base up to the cap. Failures are forgotten after a success, or
    # this many hours after the last one.
    login_free_failures: int = Field(default=5, ge=1)
    login_backoff_base_seconds: float = Field(default=1.0, gt=0)
    login_backoff_max_seconds: float = Field(default=15 * 60, gt=0)
    login_failures_forgotten_after_hours: int = Field(default=24, ge=1)

    def login_backoff(self) -> BackoffPolicy:
        return BackoffPolicy(
            free_failures=self.login_free_failures,
            base_seconds=self.login_backoff_base_seconds,
            max_seconds=self.login_backoff_max_seconds,
            memory_seconds=self.login_failures_forgotten_after_hours * 3600,
        )
