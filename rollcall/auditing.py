"""What every service offers about its own audit log, over RPC.

``AuditedService`` is a base class: a service that inherits it answers
``get_audit_head`` (the sequence number and hash of its newest entry), which
the gateway hands to scrutineers at each phase and the tally writes into each
bulletin board, so a later rewrite of a whole chain is caught.
"""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from rollcall import audit


class AuditedService:
    store: Any

    @rpc
    def get_audit_head(self) -> dict[str, Any]:
        with self.store.transaction() as session:
            seq, digest = audit.head(session)
        return {"seq": seq, "hash": digest}
