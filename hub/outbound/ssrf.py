"""User-configured outbound URLs cannot reach private or loopback addresses unless an operator allows the host."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from hub.outbound.failures import ConfigError, ErrorResolution, FailureType, ResponseAction, TransientError

_REFUSED = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "outbound address refused")
_UNRESOLVED = ErrorResolution(ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "host did not resolve")
_DEFAULT_PORTS = {"http": 80, "https": 443}
AddressInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]


def _allow_entries(allowed_hosts: Iterable[str]) -> set[tuple[str, int | None]]:
    """Entries are `host`, `host:port`, `[v6]` or `[v6]:port`; a bare IPv6 address is a host."""
    entries: set[tuple[str, int | None]] = set()
    for raw in allowed_hosts:
        entry = raw.strip().lower()
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            entries.add((host, int(rest[1:]) if rest.startswith(":") else None))
        elif entry.count(":") == 1:
            host, port = entry.split(":")
            entries.add((host, int(port)))
        elif entry:
            entries.add((entry, None))
    return entries


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None and (reason := _refusal(embedded)):
            return reason
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("unspecified", address.is_unspecified),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-public", not address.is_global),
    )
    return next((label for label, hit in checks if hit), None)


def host_allowed(host: str, port: int, allowed_hosts: Iterable[str]) -> bool:
    allowed = _allow_entries(allowed_hosts)
    host = host.lower()
    return (host, None) in allowed or (host, port) in allowed


def resolve(host: str, port: int) -> Sequence[AddressInfo]:
    """Every address the name resolves to; a name that does not resolve (yet) is worth another try."""
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TransientError(f"could not resolve {host}: {exc.strerror}", resolution=_UNRESOLVED) from None


def refuse_internal(host: str, address: str, verb: str = "resolves to") -> None:
    """ConfigError when `address` (one `host` resolved to or connected to) is not a public one."""
    parsed = ipaddress.ip_address(address.split("%")[0])
    if reason := _refusal(parsed):
        raise ConfigError(
            f"refusing to call {host}: it {verb} {parsed}, which is {reason}"
            " (an operator can allow the host in allowed_hosts)",
            resolution=_REFUSED,
        )


def check_outbound_host(host: str, port: int, allowed_hosts: Iterable[str] = ()) -> None:
    """Refuses a host that could reach the hub's own network, unless an operator allowed it.

    Every address the name resolves to is checked, since a name can point at both a public
    and a private address and the connection may use either.
    """
    if host_allowed(host, port, allowed_hosts):
        return
    for info in resolve(host, port):
        refuse_internal(host, str(info[4][0]))


def check_connected(host: str, port: int, address: str, allowed_hosts: Iterable[str] = ()) -> None:
    """The address a connection actually reached, checked once it is open and before a byte is sent.

    A name can resolve to a public address when it is checked and to a private one a moment
    later when the transport resolves it again (DNS rebinding); only the peer of the open
    socket tells where the request would really go.
    """
    if not host_allowed(host, port, allowed_hosts):
        refuse_internal(host, address, "connected to")


def check_outbound_url(url: str, allowed_hosts: Iterable[str] = ()) -> None:
    """Refuses URLs that are not http(s) or whose host could reach the hub's own network."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS:
        raise ConfigError(
            f"refusing a {parts.scheme or 'scheme-less'} URL: only http and https", resolution=_REFUSED
        )
    host = parts.hostname
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        host = None
    if not host:
        raise ConfigError("refusing a URL without a valid host and port", resolution=_REFUSED)
    check_outbound_host(host, port, allowed_hosts)
