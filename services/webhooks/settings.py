"""Webhooks' own settings, read from `WEBHOOKS_*` environment variables."""

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings
from services.webhooks.sealing import check_key


class WebhooksSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEBHOOKS_", extra="ignore", hide_input_in_errors=True)

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/distribu_webhooks"
    # Fernet keys (a JSON list) sealing the signing secrets at rest: the first seals, all unseal (see sealing.py).
    # Required: without it the service does not start.
    secret_keys: list[SecretStr] = Field(min_length=1)
    # Networks (a JSON list of CIDRs) a webhook may reach although private, loopback or link-local, and over
    # plain http too: tests and on-premises receivers. Empty: only public addresses, over https.
    allowed_networks: list[IPvAnyNetwork] = Field(default_factory=list)
    # Seconds after each failed attempt before the next; after the last, the delivery has FAILED.
    # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about 32 h in all.
    retry_schedule_seconds: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]
    )
    # A Retry-After answer replaces the scheduled delay, up to this many seconds.
    retry_after_cap_seconds: float = 36000
    # Only a 2xx answer within this many seconds is a success.
    timeout_seconds: float = 15
    # An endpoint whose every attempt has failed for this long is disabled.
    disable_after_hours: float = 120
    # Deliveries (and their attempts) older than this are pruned.
    retention_days: float = 30
    # The sender is woken by each consumed batch that recorded deliveries; this poll is the net (retries
    # coming due, deliveries recorded by another process).
    poll_interval_seconds: float = 1.0
    # Deliveries one sender claims and sends at once.
    sender_concurrency: int = 20
    # A claimed delivery is another sender's to take after this long (its sender died mid-send).
    claim_lease_seconds: float = 60
    # Send through the proxy of HTTPS_PROXY/HTTP_PROXY (and honour NO_PROXY). The proxy's address is then the
    # one connected to, so it must be public or inside the allowed networks; the proxy resolves receivers.
    use_environment_proxy: bool = False

    @field_validator("secret_keys")
    @classmethod
    def _fernet_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for key in keys:
            check_key(key.get_secret_value())
        return keys

    @property
    def sealing_keys(self) -> tuple[str, ...]:
        return tuple(key.get_secret_value() for key in self.secret_keys)
