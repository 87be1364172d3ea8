"""The SSRF guard: a webhook may only reach public addresses, over https, unless an allow-list opens a network.

Refused unless inside `WEBHOOKS_ALLOWED_NETWORKS`: private, loopback, link-local, shared (CGNAT), multicast,
unspecified, reserved and cloud-metadata addresses, IPv4 and IPv6; an IPv6 address embedding an IPv4 one
(IPv4-mapped, 6to4, NAT64) is judged by the IPv4 address too. Two moments check:

- creating or editing a webhook (`check_url`): `https` required (`http` only to a literal address inside the
  allow-list), no credentials in the URL, and a literal address refused at once. A name is not resolved
  then: what it resolves to can change before any delivery.
- connecting (`GuardedResolver`, and `check_literal` since aiohttp resolves no literal address): every
  address the name resolves to is checked, in the very lookup the connection then uses, so no DNS rebinding
  slips between a check and the connection.
"""

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance metadata services (AWS, GCP, Azure, OpenStack: 169.254.169.254; AWS over IPv6: fd00:ec2::254).
METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 embedded in its last 32 bits (RFC 6052)


class AddressRefused(OSError):
    """A webhook URL leads to an address it may not reach; the message says which and why."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: IPAddress) -> str | None:
    """What makes `address` unreachable for webhooks ("a private address"), or None for a public one."""
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address in SHARED:
        return "a shared (carrier-grade NAT) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "a non-public address"
    return None


def is_allowed(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    """Whether `address` (or the IPv4 address it embeds) is inside one of the allowed networks."""
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(address)) is not None:
        candidates.append(embedded)
    return any(candidate in network for candidate in candidates for network in allowed)


def refusal(address: IPAddress, allowed: Sequence[IPNetwork]) -> str | None:
    """Why `address` may not be reached ("a loopback address"), or None when it may."""
    if is_allowed(address, allowed):
        return None
    if isinstance(address, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(address)) is not None:
        kind = _kind(embedded)
        if kind is not None:
            return f"{kind} ({embedded})"
    return _kind(address)


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host names literally (`10.0.0.1`, `::1` from `[::1]`), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class UrlRefused(ValueError):
    """A webhook URL that may not be saved; the message says why, for the person who typed it."""


def check_url(url: str, allowed: Sequence[IPNetwork]) -> None:
    """Refuse (`UrlRefused`) a URL a webhook may not have: see the module's docstring."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UrlRefused(f"The URL is not valid: {error}.") from error
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise UrlRefused("Enter a full URL starting with https://, like https://example.com/webhooks.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("The URL must not contain a user name or password; authenticate by the signature.")
    if port == 0:
        raise UrlRefused("The URL's port must be between 1 and 65535.")
    address = literal_address(parts.hostname)
    if address is not None:
        reason = refusal(address, allowed)
        if reason is not None:
            raise UrlRefused(f"{address} is {reason}: not allowed. Use a public address.")
    if scheme == "http" and (address is None or not is_allowed(address, allowed)):
        raise UrlRefused("The URL must use https: plain http is only accepted for allowed private networks.")


def check_literal(parts: SplitResult, allowed: Sequence[IPNetwork]) -> None:
    """At connect time, for a URL whose host is a literal address (aiohttp resolves none): `AddressRefused`
    unless it may be reached, over http only inside the allow-list."""
    address = literal_address(parts.hostname or "")
    if address is None:
        return
    reason = refusal(address, allowed)
    if reason is not None:
        raise AddressRefused(f"{address} is {reason}: not allowed")
    if parts.scheme.lower() == "http" and not is_allowed(address, allowed):
        raise AddressRefused(f"{address} is reached over plain http, which only allowed networks may be")


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing the whole lookup when any address it gives may not be reached.

    `only_allowed` (plain http): every address must be inside the allow-list, public ones included.
    """

    def __init__(self, allowed: Sequence[IPNetwork], *, only_allowed: bool = False) -> None:
        self._resolver = DefaultResolver()
        self._allowed = list(allowed)
        self._only_allowed = only_allowed

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        for result in results:
            address = ipaddress.ip_address(result["host"].split("%", 1)[0])
            reason = refusal(address, self._allowed)
            if reason is not None:
                raise AddressRefused(f"{host} resolves to {address}, {reason}: not allowed")
            if self._only_allowed and not is_allowed(address, self._allowed):
                raise AddressRefused(
                    f"{host} resolves to {address}, outside the allowed networks, which plain http may only reach"
                )
        return results

    async def close(self) -> None:
        await self._resolver.close()
