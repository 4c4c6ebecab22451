"""Outbound HTTP to URLs that customers give us (webhooks): never to an internal network.

A registered URL is someone else's input, and the request leaves from inside our network, so the
URL is parsed once and that one parse decides everything: scheme, host, port and request target.
The host is resolved once; every address it resolves to must be public, and the request then goes
to an address that was checked. Nothing resolves the name a second time (a second answer could
point inside: DNS rebinding); the original name travels in the Host header, the TLS SNI and the
certificate check. Redirects are never followed: the caller sees the 3xx and records a failure.

urllib3 (already a dependency) does the HTTP and TLS on a connection pool pinned to the checked
address. The address policy is ours: listed below rather than read from ``ipaddress``'s
``is_private``/``is_global``, whose answers changed between Python patch releases.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Refusal codes, shared by the API (400 at registration) and the outbox row (at send time).
URL_INVALID = "webhook_url_invalid"
HTTPS_REQUIRED = "webhook_https_required"
CREDENTIALS_FORBIDDEN = "webhook_credentials_forbidden"
URL_FORBIDDEN = "webhook_url_forbidden"
HOST_UNRESOLVABLE = "webhook_host_unresolvable"


class OutboundRefused(Exception):
    """The URL may not be called. ``code`` is stable; ``detail`` is safe to show whoever registered
    the URL (it names the kind of address, never the address a name resolved to, so the API is no
    map of internal DNS); ``str()`` adds the address for the operators' delivery log."""

    def __init__(self, detail: str, *, code: str, reason: str = "", address: str = "") -> None:
        super().__init__(detail)
        self.detail, self.code, self.reason, self.address = detail, code, reason, address

    def __str__(self) -> str:
        return f"{self.detail} ({self.address})" if self.address else self.detail


def _networks(*cidrs: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


# Why an address is not on the public internet, first match wins. IPv4 outside these is public;
# IPv6 must also be global unicast (2000::/3, checked after this list).
_NON_PUBLIC: tuple[tuple[str, tuple[IPNetwork, ...]], ...] = (
    ("unspecified", _networks("0.0.0.0/32", "::/128")),
    ("loopback", _networks("127.0.0.0/8", "::1/128")),
    ("private", _networks("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")),
    ("shared address space", _networks("100.64.0.0/10")),  # carrier-grade NAT: inside someone's network
    ("link-local", _networks("169.254.0.0/16", "fe80::/10")),  # 169.254.169.254: cloud metadata
    ("site-local", _networks("fec0::/10")),
    ("multicast", _networks("224.0.0.0/4", "ff00::/8")),
    (
        "reserved",
        _networks(
            "0.0.0.0/8",  # "this network"
            "192.0.0.0/24",  # IETF protocol assignments
            "192.0.2.0/24",  # documentation
            "198.51.100.0/24",
            "203.0.113.0/24",
            "192.88.99.0/24",  # 6to4 relay anycast
            "198.18.0.0/15",  # benchmarking
            "240.0.0.0/4",  # future use, with the limited broadcast 255.255.255.255
            "100::/64",  # discard
            # IETF protocol assignments, Teredo (2001::/32) among them: a Teredo relay reaches
            # whatever IPv4 client the address embeds, so none is accepted.
            "2001::/23",
            "2001:db8::/32",  # documentation
            "3fff::/20",
            "2002::/16",  # 6to4: the relay reaches the IPv4 address embedded in bits 16-48, whatever it is
            "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation: translates into private networks
            "5f00::/16",  # segment routing
        ),
    ),
)
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
# NAT64's well-known prefix (RFC 6052) carries an IPv4 address in its last 32 bits: a DNS64 resolver
# answers it for IPv4-only names, and the translator then connects to that IPv4 address.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated "::a.b.c.d"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def address_refusal(address: IPAddress) -> str | None:
    """Why ``address`` is not a public internet address (e.g. "loopback"), or None when it is.
    IPv6 addresses that stand for an IPv4 address (mapped, compatible, NAT64) are judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address_refusal(address.ipv4_mapped)
        if address in _NAT64:
            return address_refusal(_embedded_ipv4(address))
        if address in _IPV4_COMPATIBLE and int(address) > 1:  # :: and ::1 are judged as themselves
            return address_refusal(_embedded_ipv4(address)) or "reserved"
    for reason, networks in _NON_PUBLIC:
        if any(address in network for network in networks):
            return reason
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST_V6:
        return "reserved"
    return None


def _as_ipv4_if_mapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def allowed_private_networks() -> tuple[IPNetwork, ...]:
    """WEBHOOK_ALLOWED_PRIVATE_NETWORKS: the networks tests may reach despite the policy. Empty in
    production (a system check refuses it with DEBUG off)."""
    return tuple(
        ipaddress.ip_network(cidr, strict=False) for cidr in settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS
    )


@dataclass(frozen=True)
class Target:
    """One parse of a URL: everything the request is built from."""

    scheme: str
    host: str  # ASCII: an IDNA-encoded name or an IP address without brackets
    port: int
    request_target: str  # path and query, as sent on the request line
    address: IPAddress | None  # set when the URL names an IP address rather than a host name

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default_port = 443 if self.scheme == "https" else 80
        return host if self.port == default_port else f"{host}:{self.port}"


# Every label numeric (decimal, octal "0177", hex "0x7f"): a name the C resolver reads as an IPv4
# address in a form nobody writes on purpose ("2130706433" is 127.0.0.1). No DNS name ends in a
# numeric label, so such a host is refused outright rather than resolved.
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


def target_parse(url: str, *, allow_http_hosts: Iterable[str]) -> Target:
    """Parse ``url`` into a Target, refusing credentials, schemes other than https (http only for
    ``allow_http_hosts``) and IP addresses in forms other than the standard ones."""
    # Before parsing: urlsplit drops tabs and newlines silently, so it would accept what it changed.
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise OutboundRefused(_("The URL contains spaces or control characters."), code=URL_INVALID)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(_("Not a valid URL: %(error)s.") % {"error": exc}, code=URL_INVALID) from exc
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused(_("Webhook URLs must use https://."), code=HTTPS_REQUIRED)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise OutboundRefused(
            _("Webhook URLs must not carry credentials (user:password@): authenticate with the signature."),
            code=CREDENTIALS_FORBIDDEN,
        )
    hostname = parts.hostname or ""
    if not hostname:
        raise OutboundRefused(_("The URL names no host."), code=URL_INVALID)
    if parts.scheme == "http" and hostname not in set(allow_http_hosts):
        raise OutboundRefused(_("Webhook URLs must use https://."), code=HTTPS_REQUIRED)
    address: IPAddress | None
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        address = None
    if address is not None:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            raise OutboundRefused(_("IPv6 addresses with a zone are not accepted."), code=URL_INVALID)
        host = str(address)
    else:
        labels = hostname.rstrip(".").split(".")
        if all(_NUMERIC_LABEL.fullmatch(label) for label in labels):
            raise OutboundRefused(
                _("The host is a number but not a standard IPv4 address."),
                code=URL_FORBIDDEN,
                reason="non-standard IP address",
            )
        try:
            host = hostname.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise OutboundRefused(_("The host is not a valid name."), code=URL_INVALID) from exc
    request_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port or (443 if parts.scheme == "https" else 80),
        request_target=request_target,
        address=address,
    )


def _refuse(target: Target, address: IPAddress, reason: str) -> OutboundRefused:
    if target.address is not None:
        detail = _("The URL names an address that is not on the public internet (%(reason)s).")
    else:
        detail = _(
            "The host %(host)s resolves to an address that is not on the public internet (%(reason)s)."
        )
    return OutboundRefused(
        detail % {"host": target.host, "reason": reason},
        code=URL_FORBIDDEN,
        reason=reason,
        address=str(address),
    )


def target_addresses(target: Target) -> list[IPAddress]:
    """The addresses to connect to: the URL's own, or every address its host resolves to (once),
    all of them public or inside WEBHOOK_ALLOWED_PRIVATE_NETWORKS; refuses if any one is not."""
    if target.address is not None:
        candidates: list[IPAddress] = [target.address]
    else:
        try:
            found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
            raise OutboundRefused(
                _("The host %(host)s could not be resolved.") % {"host": target.host}, code=HOST_UNRESOLVABLE
            ) from exc
        candidates = [
            ipaddress.ip_address(sockaddr[0])
            for family, _type, _proto, _name, sockaddr in found
            if family in (socket.AF_INET, socket.AF_INET6)
        ]
        if not candidates:
            raise OutboundRefused(
                _("The host %(host)s has no IP address.") % {"host": target.host}, code=HOST_UNRESOLVABLE
            )
    exceptions = allowed_private_networks()
    checked: list[IPAddress] = []
    for candidate in candidates:
        address = _as_ipv4_if_mapped(candidate)
        reason = address_refusal(candidate)
        if reason is not None:
            if not any(address in network for network in exceptions):
                raise _refuse(target, candidate, reason)
            logger.warning(
                "webhook to %s (%s, %s) allowed only by WEBHOOK_ALLOWED_PRIVATE_NETWORKS",
                target.host,
                address,
                reason,
            )
        if address not in checked:
            checked.append(address)
    return checked


def url_check(url: str) -> Target:
    """Everything that can be checked before sending: the URL's form and where its host points now."""
    target = target_parse(url, allow_http_hosts=settings.WEBHOOK_ALLOW_HTTP_HOSTS)
    target_addresses(target)
    return target


def _pool(target: Target, address: IPAddress, timeout: float) -> urllib3.HTTPConnectionPool:
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    if target.scheme == "https":
        # Connected to the address, verified for the name: SNI and the certificate's host name check
        # use the URL's host, and the system's trust store decides the chain.
        return urllib3.HTTPSConnectionPool(
            str(address),
            target.port,
            timeout=limits,
            maxsize=1,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(str(address), target.port, timeout=limits, maxsize=1, retries=False)


def post(url: str, *, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    """POST ``body`` to ``url`` once, checked as above at this moment; answers the HTTP status
    (a 3xx is returned as is, never followed). Raises OutboundRefused before any connection when
    the URL may not be called, and urllib3/socket errors when the request fails."""
    target = target_parse(url, allow_http_hosts=settings.WEBHOOK_ALLOW_HTTP_HOSTS)
    addresses = target_addresses(target)
    request_headers = {**headers, "Host": target.host_header}
    for attempt, address in enumerate(addresses, start=1):
        with _pool(target, address, timeout) as pool:
            try:
                response = pool.urlopen(
                    "POST",
                    target.request_target,
                    body=body,
                    headers=request_headers,
                    redirect=False,
                    retries=False,
                    assert_same_host=False,
                    preload_content=False,
                )
            except (NewConnectionError, ConnectTimeoutError):
                if attempt == len(addresses):
                    raise
                continue  # the next checked address (as socket.create_connection would try it)
            status = response.status
            response.close()  # the answer's body is not read: only its status counts
            return status
    raise AssertionError("target_addresses returns at least one address")  # pragma: no cover
