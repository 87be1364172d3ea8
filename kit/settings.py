"""Settings shared by every process, read from `DISTRIBU_*` environment variables."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlatformSettings(BaseSettings):
    """Infrastructure every service and the gateway share."""

    model_config = SettingsConfigDict(env_prefix="DISTRIBU_", extra="ignore")

    broker_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Signs the internal context the gateway forwards to services. No default: it is a secret.
    internal_secret: SecretStr = SecretStr("")
    # Prefix of exchange, queue and Redis key names, so several deployments can share one broker.
    namespace: str = "distribu"
    log_level: str = "INFO"
    context_ttl_seconds: int = 60
    # Relays are woken by each commit that writes events (kit.outbox); polling is only a safety net.
    outbox_poll_interval: float = 2.0
    # After a wake-up the relay waits this long (seconds) so the commits around it go out in one batch.
    outbox_coalesce: float = 0.005
    # Relay rounds begin at least this far apart (seconds): under load a round carries every commit since
    # the last one; an idle relay publishes at once. Under a stream the spacing grows, one more
    # `outbox_round_spacing` for every two events the previous round carried, up to the max.
    outbox_round_spacing: float = 0.05
    outbox_max_round_spacing: float = 0.2
    # Seconds to wait before each redelivery of a failed event; after the last, it goes to the DLQ.
    consumer_retry_delays: list[float] = Field(default_factory=lambda: [1.0, 5.0, 30.0])
    # Messages a worker holds unacknowledged; it applies up to `consumer_batch_size` of them in one
    # transaction, collected for `consumer_batch_linger` seconds after the first and, under load, until
    # `consumer_batch_spacing` seconds after the previous batch began.
    consumer_prefetch: int = 256
    consumer_batch_size: int = 256
    consumer_batch_linger: float = 0.005
    consumer_batch_spacing: float = 0.1
    # Seconds one event may take; a batch may take this plus its share of it (kit.bus), then it is split.
    consumer_time_limit: float = 30.0
    # Deliveries of one message (crashes included) before the broker parks it in the dead-letter queue.
    consumer_delivery_limit: int = 5
    # Days a processed-event record is kept to recognise a redelivery.
    processed_events_retention_days: int = 14


class ServiceSettings(BaseSettings):
    """Per-service settings; each service subclasses this with its own env prefix."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
