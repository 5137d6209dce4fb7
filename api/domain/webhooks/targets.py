"""Where a webhook may be sent: URL rules and the SSRF check.

A receiver must resolve to global addresses only: private, loopback, link-local, shared
(CGNAT), multicast, reserved and unspecified addresses are refused (unless the operator sets
``SHOPDESK_WEBHOOKS_ALLOW_PRIVATE``), at registration and again before every attempt, and
the attempt connects to the very address that was checked (the URL's host is kept for
``Host`` and TLS SNI), so a name re-pointed after the check (DNS rebinding) cannot reach
inside. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from api.errors import ApiError

__all__ = ["Target", "TargetRefused", "check_url", "resolve"]

_RESOLVE_TIMEOUT = 5.0


class TargetRefused(Exception):
    """The URL may not be called; ``code`` is the stable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_api_error(self) -> ApiError:
        return ApiError(422, self.code, self.message)


@dataclass(frozen=True, slots=True)
class Target:
    url: str  # what to request: the checked address in place of the host
    host_header: str
    sni_hostname: str | None


def check_url(url: str, *, allow_private: bool) -> SplitResult:
    """The URL's own rules (no network): scheme, host, no credentials, a valid port."""
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise TargetRefused("webhook.url_invalid", "The URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused("webhook.url_invalid", f"The URL is not valid: {exc}.") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("webhook.url_invalid", "Use an absolute http(s) URL with a host.")
    if parts.scheme == "http" and not allow_private:
        raise TargetRefused("webhook.https_required", "Webhook URLs must use https.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("webhook.url_invalid", "Credentials do not belong in the URL.")
    if port == 0:
        raise TargetRefused("webhook.url_invalid", "The URL's port is not valid.")
    return parts


# IPv6 prefixes whose last 32 bits are an IPv4 address that a gateway or the host itself may
# reach (NAT64, IPv4-compatible, IPv4-translated): Python calls most of them global.
_EMBEDS_IPV4 = tuple(ipaddress.ip_network(n) for n in (
    "64:ff9b::/96", "::/96", "::ffff:0:0:0/96"))


def _inner_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _EMBEDS_IPV4):
        return ipaddress.IPv4Address(ip.packed[-4:])
    return None


def _allowed(address: str, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif not allow_private:
            inner = _inner_ipv4(ip)
            if inner is not None and not (inner.is_global and not inner.is_multicast):
                return False
            if ip.is_site_local:  # fec0::/10, deprecated but still routable on some hosts
                return False
    if allow_private:
        return not ip.is_unspecified and not ip.is_multicast
    return ip.is_global and not ip.is_multicast


async def resolve(url: str, *, allow_private: bool, timeout: float = _RESOLVE_TIMEOUT) -> Target:
    """Check ``url`` and every address its host resolves to; the target pinned to one."""
    parts = check_url(url, allow_private=allow_private)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
        except (OSError, TimeoutError, UnicodeError):  # UnicodeError: a label IDNA refuses
            raise TargetRefused("webhook.url_unresolvable",
                                "The URL's host does not resolve.") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused("webhook.url_unresolvable", "The URL's host does not resolve.")
    # Every address must pass: a name that also points inside is refused outright.
    if not all(_allowed(a, allow_private) for a in addresses):
        raise TargetRefused("webhook.url_not_public",
                            "The URL resolves to a private, loopback or link-local address.")
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{port}"
    path = parts.path or "/"
    pinned = f"{parts.scheme}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")
    default_port = (parts.scheme == "https" and port == 443) or (parts.scheme == "http" and port == 80)
    host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
    return Target(pinned, host_header, host if parts.scheme == "https" else None)
