"""The client's network address, as far as the deployment's own proxies vouch for it.

``X-Forwarded-For`` is a list anyone can start: a client sends any addresses it likes, and each proxy
appends the address it received the request from. Only the entries appended by proxies we run can be
believed, so the rule is positional: with ``NUM_PROXIES`` trusted proxies in front of the application,
the client is the ``NUM_PROXIES``-th address from the right. With none (the default), the client is
the peer of the socket (``REMOTE_ADDR``) and the header is ignored.

Everything that keys on a client (the throttles, login lockout) asks ``client_ip``: one rule.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request


def client_ip(request: HttpRequest | Request) -> str:
    """The client's address for ``request`` (normalised; REMOTE_ADDR when the proxies named none)."""
    remote_addr = str(request.META.get("REMOTE_ADDR") or "")
    trusted_proxies: int = settings.NUM_PROXIES
    if trusted_proxies <= 0:
        return _normalised(remote_addr) or remote_addr
    hops = [hop.strip() for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < trusted_proxies:
        # Fewer hops than proxies: the request did not come through all of them; the socket's peer
        # is the only address nobody could write.
        return _normalised(remote_addr) or remote_addr
    # Written by our outermost proxy: well formed unless that proxy is misconfigured.
    return _normalised(hops[-trusted_proxies]) or _normalised(remote_addr) or remote_addr


def _normalised(address: str) -> str | None:
    """One spelling per address (``2001:DB8::1`` and ``2001:db8:0:0::1`` are one client), or None
    for something that is not an address."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
