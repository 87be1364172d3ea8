"""Gateway settings, read from `GATEWAY_*` environment variables."""

import ipaddress

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("identity", "catalog", "orders", "audit", "webhooks")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    identity_url: str = "http://127.0.0.1:8101"
    catalog_url: str = "http://127.0.0.1:8102"
    orders_url: str = "http://127.0.0.1:8103"
    audit_url: str = "http://127.0.0.1:8104"
    webhooks_url: str = "http://127.0.0.1:8105"
    # Seconds the gateway waits for a service's answer before replying 503.
    upstream_timeout_seconds: float = 30.0
    session_idle_minutes: int = 60
    session_absolute_hours: int = 12
    # Send cookies with `Secure`; turn on wherever the gateway is reached over HTTPS.
    cookie_secure: bool = False
    # Failed password checks (staff and storefront sign-in, invite acceptance, storefront password
    # setup) allowed per client IP per fixed 15-minute window; successful ones are given back. The
    # per-account limit is identity's (IDENTITY_LOGIN_FREE_FAILURES and the backoff after them).
    login_attempts_per_ip: int = 20
    # Failed sign-ups per client IP per 15-minute window (an email already taken says it has an account).
    signup_attempts_per_ip: int = 10
    # Companies (each with its trial) created per client IP per day (fixed UTC day).
    trials_per_ip_per_day: int = 10
    # Invitation lookups per client IP per 15-minute window (each says whether the email has an account).
    invite_lookups_per_ip: int = 30
    # Where users reach the gateway; pages build absolute links (the storefront URL) from it.
    public_url: str = "http://127.0.0.1:8000"
    # Largest request body in bytes, for every route and page form that does not declare its own
    # (routes.py `max_body_bytes`): a bigger Content-Length is refused with 413 before anything is read,
    # and a chunked body is cut with 413 as soon as it passes this.
    max_body_bytes: int = 64 * 1024
    # Peers (IPs or CIDRs, JSON list) whose X-Forwarded-For is believed. Empty: the socket peer is the client.
    trusted_proxies: list[str] = []

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)
        return value

    @property
    def trusted_proxy_networks(self) -> list[IPNetwork]:
        return [ipaddress.ip_network(entry, strict=False) for entry in self.trusted_proxies]

    def service_urls(self) -> dict[str, str]:
        return {name: str(getattr(self, f"{name}_url")) for name in SERVICES}
