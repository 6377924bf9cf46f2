"""Routes that hold a ballot to account: audit heads, complaints, pausing.

Entry points only; who may do what is ``gateway.permissions``'s (applied by
``gateway.access``), what is accepted ``gateway.schemas``'s.

Guarantees:

- Scrutineers and operators read the audit heads and the complaints; only
  operators open, add to or move a complaint, and pause or resume a ballot.
  An officer or teller is refused with the reason before any remote call.
- ``/api/audit/heads`` asks every service at once and answers even when some
  do not: a service that gives no answer in time (or none at all) appears
  as ``{"error": "unavailable"}``, one that fails as ``{"error": "failed"}``.
  The heads handed out are written to the gateway's own audit log.
- Every write is appended to the gateway's audit log with the actor. The
  text of a complaint or of its evidence (which may name people) is not:
  the log records that it was added, and registration keeps it hashed.
- Resuming a paused ballot takes two people: the identity that asks is the
  one registration compares with the identity that approves.
"""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Request, Response

from gateway.access import Access, guarded
from gateway.base import BALLOT, GatewayBase
from gateway.errors import ServiceUnavailable
from gateway.schemas import (
    ComplaintSchema,
    ComplaintStatusSchema,
    EvidenceSchema,
    ReasonSchema,
    load,
)
from gateway.web import json_response, read_json, route
from rollcall import audit

log = logging.getLogger(__name__)

#: Services whose audit log heads scrutineers are handed, beside the gateway's own.
AUDITED = ("registration", "matching", "codes", "mailer", "tally")
COMPLAINT = "/api/complaints/<int:complaint_id>"


class OversightRoutes(GatewayBase):
    # -- audit heads ---------------------------------------------------------------------
    @route("GET", "/api/audit/heads")
    @guarded("read_audit_heads", "audit_heads.read", subject="audit")
    def get_audit_heads(self, request: Request, access: Access) -> Response:
        pile: eventlet.GreenPile = eventlet.GreenPile(len(AUDITED))
        for service in AUDITED:
            pile.spawn(self._audit_head, service)
        heads = dict(zip(AUDITED, pile, strict=True))
        with self.store.transaction() as session:
            seq, digest = audit.head(session)
        heads["gateway"] = {"seq": seq, "hash": digest}
        access.details["heads"] = heads
        return json_response(200, heads)

    def _audit_head(self, service: str) -> dict[str, Any]:
        try:
            head = self.remote.call(service, "get_audit_head")
        except ServiceUnavailable:
            return {"error": "unavailable"}
        except RemoteError as exc:
            log.warning("%s.get_audit_head failed: %s", service, exc.exc_type)
            return {"error": "failed"}
        return {"seq": int(head["seq"]), "hash": str(head["hash"])}

    # -- complaints ----------------------------------------------------------------------
    @route("GET", f"{BALLOT}/complaints")
    @guarded("read_complaints", "complaints.listed")
    def list_complaints(self, request: Request, access: Access, ballot_id: int) -> Response:
        self.remote.registration.get_ballot(ballot_id)
        complaints = self.remote.registration.list_complaints(ballot_id)
        access.details["complaints"] = len(complaints)
        return json_response(200, complaints)

    @route("GET", COMPLAINT)
    @guarded("read_complaints", "complaint.read")
    def get_complaint(self, request: Request, access: Access, complaint_id: int) -> Response:
        return json_response(200, self.remote.registration.get_complaint(complaint_id))

    @route("POST", f"{BALLOT}/complaints")
    @guarded("manage_complaints", "complaint.opened")
    def open_complaint(self, request: Request, access: Access, ballot_id: int) -> Response:
        complaint = load(ComplaintSchema(), read_json(request))
        opened = self.remote.registration.open_complaint(
            ballot_id, complaint["subject"], access.actor, complaint["days"]
        )
        access.details.update(complaint_id=opened.get("complaint_id"), days=complaint["days"])
        return json_response(201, opened)

    @route("POST", f"{COMPLAINT}/evidence")
    @guarded("manage_complaints", "complaint.evidence_added")
    def add_evidence(self, request: Request, access: Access, complaint_id: int) -> Response:
        evidence = load(EvidenceSchema(), read_json(request))
        complaint = self.remote.registration.add_evidence(
            complaint_id, evidence["text"], access.actor
        )
        return json_response(201, complaint)

    @route("POST", f"{COMPLAINT}/status")
    @guarded("manage_complaints", "complaint.moved")
    def move_complaint(self, request: Request, access: Access, complaint_id: int) -> Response:
        move = load(ComplaintStatusSchema(), read_json(request))
        complaint = self.remote.registration.move_complaint(
            complaint_id, move["status"], access.actor, move["outcome"]
        )
        access.details["status"] = move["status"]
        return json_response(200, complaint)

    # -- pausing: registration compares who asks to resume with who approves --------------
    @route("POST", f"{BALLOT}/pause")
    @guarded("pause_ballot", "ballot.paused")
    def pause_ballot(self, request: Request, access: Access, ballot_id: int) -> Response:
        return json_response(200, self._pausing(request, access, "pause_ballot", ballot_id))

    @route("POST", f"{BALLOT}/resume")
    @guarded("pause_ballot", "ballot.resume_requested")
    def request_resume(self, request: Request, access: Access, ballot_id: int) -> Response:
        return json_response(202, self._pausing(request, access, "request_resume", ballot_id))

    @route("POST", f"{BALLOT}/resume/approve")
    @guarded("pause_ballot", "ballot.resume_approved")
    def approve_resume(self, request: Request, access: Access, ballot_id: int) -> Response:
        return json_response(200, self._pausing(request, access, "approve_resume", ballot_id))

    def _pausing(self, request: Request, access: Access, method: str, ballot_id: int) -> Any:
        """Ask registration to ``method`` the ballot, with the reason the request gives."""
        access.reason = load(ReasonSchema(), read_json(request))["reason"]
        return self.remote.call("registration", method, ballot_id, access.actor, access.reason)
