"""The gateway's per-client-IP allowances for each rate-limited route's bucket (counters in kit.ratelimit)."""

import uuid

from gateway.settings import GatewaySettings
from kit.ratelimit import Allowance

ATTEMPT_WINDOW_SECONDS = 15 * 60
DAY_SECONDS = 24 * 60 * 60
# No per-account limits here: identity makes every password check and keeps one backoff per account
# (services/identity/accounts/passwords.py), whichever route the check came through.
SIGN_IN_REFUSAL = "Too many sign-in attempts from this address"
SIGN_UP_REFUSAL = "Too many sign-up attempts from this address"


def allowances(
    bucket: str, settings: GatewaySettings, client_ip: str | None, company_id: uuid.UUID | None
) -> list[Allowance]:
    """What one call of a route with `rate_limit=bucket` counts against, for this client IP.

    Storefront buckets are per storefront, keyed by the company the slug resolved to (never the slug
    as typed, which other spellings would reach with fresh counters).
    """
    ip = client_ip or "unknown"
    storefront = f":{company_id}" if company_id is not None else ""
    per_ip = settings.login_attempts_per_ip
    window = ATTEMPT_WINDOW_SECONDS
    if bucket == "login":
        # Staff sign-in and invite acceptance (which checks an existing user's password) share it.
        return [Allowance(f"login:ip:{ip}", per_ip, window, SIGN_IN_REFUSAL)]
    if bucket == "store-login":
        return [Allowance(f"store-login{storefront}:ip:{ip}", per_ip, window, SIGN_IN_REFUSAL)]
    if bucket == "setup-password":
        refusal = "Too many password setup attempts from this address"
        return [Allowance(f"setup-password{storefront}:ip:{ip}", per_ip, window, refusal)]
    if bucket == "signup":
        return [
            # Failed sign-ups (an email already taken tells whether it has an account): probing.
            Allowance(f"signup:ip:{ip}", settings.signup_attempts_per_ip, window, SIGN_UP_REFUSAL),
            # Companies created, each with a trial: kept only when one was.
            Allowance(
                f"trials:ip:{ip}",
                settings.trials_per_ip_per_day,
                DAY_SECONDS,
                "Too many companies were created from this address today",
                keeps="successes",
            ),
        ]
    if bucket == "invite-lookup":
        # Every lookup counts: a successful one is what tells whether the invited email has an account.
        refusal = "Too many invitation lookups from this address"
        return [Allowance(f"invite-lookup:ip:{ip}", settings.invite_lookups_per_ip, window, refusal, keeps="all")]
    raise ValueError(f"unknown rate-limit bucket {bucket!r}")
