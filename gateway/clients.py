"""Which client sent a request: the peer, or what a trusted proxy says it forwarded.

Rate limits and the slowing down of wrong access codes are kept per client
address, so the address must be one a client cannot choose. A request's
peer (``REMOTE_ADDR``) is the client unless it is one of the proxies named in
the ``trusted_proxies`` setting; then the client is the rightmost address of
``X-Forwarded-For`` that is not itself a trusted proxy (each proxy appends
the peer it saw, so addresses to the left of an untrusted hop were written
by that client and prove nothing). From a peer that is not trusted the header
is ignored, whatever it says.

Guarantees: ``client_address`` is pure and never raises on what a client
sends (a malformed hop is the client: it was written by someone untrusted).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from rollcall.runtime import settings_of

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(setting: str) -> tuple[Network, ...]:
    """The networks of ``trusted_proxies`` (``"10.0.0.0/8, 127.0.0.1"``); ``ValueError`` if malformed."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in setting.split(",")
        if part.strip()
    )


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str | None, networks: Sequence[Network]) -> str:
    """The client behind ``peer``: itself, or the rightmost untrusted hop it forwarded."""
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:64]
    # Every hop is a trusted proxy: the leftmost is as near the client as we can tell.
    return hops[0][:64] if hops else peer


class Clients(DependencyProvider):
    """Gives a worker ``address(request)``: the client address under ``trusted_proxies``."""

    def setup(self) -> None:
        self.networks = trusted_networks(settings_of(self.container).trusted_proxies)

    def get_dependency(self, worker_ctx: Any) -> Any:
        networks = self.networks

        def address(request: Request) -> str:
            return client_address(
                request.remote_addr or "-", request.headers.get("X-Forwarded-For"), networks
            )

        return address
