"""The scrutineer's report over HTTP, and what it is made of, gathered from every service.

``gather`` asks registration (the ballot, the reconciliation of its roll,
complaints, pauses), the mailer (codes by channel, reminders) and every
service for its audit log's head; the tally then adds the count and the
refused papers and signs the whole with the ballot's key
(``tally.make_report``, ``services.tally.report``). ``rollcall report`` gathers
with the same function, so the command and the route give the same report.

Guarantees:

- Scrutineers and operators read the report (``read_report``); a candidate
  is given a scrutineer's token. Others are refused before any remote call.
- A service that does not answer fails the request (503): a signed report
  never leaves a section out.
- The report holds figures only: no member's number, name or address.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.access import Access, guarded
from gateway.base import BALLOT, GatewayBase
from gateway.oversight import AUDITED
from gateway.web import file_response, json_response, route
from rollcall import audit

#: ``call(service, method, *args)``: one RPC, however the caller makes it.
Call = Callable[..., Any]
#: Every service whose audit log head the report names.
HEADS = (*AUDITED, "gateway")


def gather(call: Call, ballot_id: int) -> dict[str, Any]:
    """What the other services say of ``ballot_id``, as ``tally.make_report`` takes it."""
    return {
        "ballot": call("registration", "get_ballot", ballot_id),
        "roll": call("registration", "reconcile", ballot_id, None),
        "complaints": call("registration", "list_complaints", ballot_id),
        "pauses": call("registration", "list_pauses", ballot_id),
        "mail": call("mailer", "get_delivery_summary", ballot_id),
        "reminders": call("mailer", "get_reminders", ballot_id),
        "audit_heads": {
            service: {"seq": int(head["seq"]), "hash": str(head["hash"])}
            for service, head in ((s, call(s, "get_audit_head")) for s in HEADS)
        },
    }


class ReportRoutes(GatewayBase):
    @route("GET", f"{BALLOT}/report")
    @guarded("read_report", "report.read")
    def get_report(self, request: Request, access: Access, ballot_id: int) -> Response:
        made = self._report(ballot_id, access, pdf=False)
        return json_response(200, made["report"])

    @route("GET", f"{BALLOT}/report.pdf")
    @guarded("read_report", "report.read")
    def get_report_pdf(self, request: Request, access: Access, ballot_id: int) -> Response:
        made = self._report(ballot_id, access, pdf=True)
        pdf = base64.b64decode(made["pdf_base64"], validate=True)
        return file_response(pdf, "application/pdf", f"report-{ballot_id}.pdf")

    def _report(self, ballot_id: int, access: Access, *, pdf: bool) -> dict[str, Any]:
        def call(service: str, method: str, *args: Any) -> Any:
            if service == "gateway":
                with self.store.transaction() as session:
                    seq, digest = audit.head(session)
                return {"seq": seq, "hash": digest}
            return self.remote.call(service, method, *args)

        # The tally first: a ballot not yet counted is refused before asking everyone else.
        self.remote.tally.get_result(ballot_id)
        made: dict[str, Any] = self.remote.tally.make_report(
            ballot_id, gather(call, ballot_id), pdf
        )
        access.details.update(sha256=made["report"]["sha256"], pdf=pdf)
        return made
