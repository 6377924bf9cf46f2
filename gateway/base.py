"""What every group of the gateway's routes shares: its dependencies and the clock.

``GatewayBase`` is the base of ``GatewayService`` and of the route groups it
is made of (``gateway.roll``, ``gateway.dropped_rows``, ``gateway.oversight``,
``gateway.voting``). Who
may use a route is declared on it with ``gateway.access.guarded``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.clients import Clients
from gateway.remote import Remote
from rollcall.runtime import Metrics, Store

BALLOT = "/api/ballots/<int:ballot_id>"


def now() -> datetime:
    return datetime.now(UTC)


class GatewayBase:
    store = Store()
    remote = Remote()
    metrics = Metrics()
    #: ``self.clients(request)``: the client address, believing only trusted proxies.
    clients = Clients()
