"""What every group of the gateway's routes shares: its dependencies and the clock.

``GatewayBase`` is the base of ``GatewayService`` and of the route groups it
is made of (``gateway.roll``, ``gateway.dropped_rows``, ``gateway.oversight``,
``gateway.voting``). Who
may use a route is declared on it with ``gateway.access.guarded``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.clients import Clients
from gateway.errors import TestBallotHidden
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

    def hide_test_ballot(
        self, role: str, ballot_id: int, ballot: dict[str, Any] | None = None
    ) -> None:
        """Officers' views never show a test ballot: to an officer it is a ballot that does not
        exist (404). ``ballot``: the definition, if the caller has it already."""
        if role != "officer":
            return
        if ballot is None:
            ballot = self.remote.registration.get_ballot(ballot_id)
        if ballot.get("test"):
            raise TestBallotHidden(f"ballot {ballot_id} is a test ballot")
