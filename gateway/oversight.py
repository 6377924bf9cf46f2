"""Routes that hold a ballot to account: audit heads, complaints, pausing.

Entry points only; who may do what is ``gateway.auth``'s, what is accepted
``gateway.schemas``'s.

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

from gateway.auth import Principal
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
    def get_audit_heads(self, request: Request) -> Response:
        principal = self._principal(request, "read_audit_heads", "audit")
        pile: eventlet.GreenPile = eventlet.GreenPile(len(AUDITED))
        for service in AUDITED:
            pile.spawn(self._audit_head, service)
        heads = dict(zip(AUDITED, pile, strict=True))
        with self.store.transaction() as session:
            seq, digest = audit.head(session)
        heads["gateway"] = {"seq": seq, "hash": digest}
        self._record(request, principal, "audit_heads.read", "audit", {"heads": heads})
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
    def list_complaints(self, request: Request, ballot_id: int) -> Response:
        subject = f"ballot:{ballot_id}"
        principal = self._principal(request, "read_complaints", subject)
        self.remote.registration.get_ballot(ballot_id)
        complaints = self.remote.registration.list_complaints(ballot_id)
        self._record(
            request, principal, "complaints.listed", subject, {"complaints": len(complaints)}
        )
        return json_response(200, complaints)

    @route("GET", COMPLAINT)
    def get_complaint(self, request: Request, complaint_id: int) -> Response:
        subject = f"complaint:{complaint_id}"
        principal = self._principal(request, "read_complaints", subject)
        complaint = self.remote.registration.get_complaint(complaint_id)
        self._record(request, principal, "complaint.read", subject)
        return json_response(200, complaint)

    @route("POST", f"{BALLOT}/complaints")
    def open_complaint(self, request: Request, ballot_id: int) -> Response:
        subject = f"ballot:{ballot_id}"
        principal = self._principal(request, "manage_complaints", subject)
        complaint = load(ComplaintSchema(), read_json(request))
        opened = self.remote.registration.open_complaint(
            ballot_id, complaint["subject"], principal.actor, complaint["days"]
        )
        details = {"complaint_id": opened.get("complaint_id"), "days": complaint["days"]}
        self._record(request, principal, "complaint.opened", subject, details)
        return json_response(201, opened)

    @route("POST", f"{COMPLAINT}/evidence")
    def add_evidence(self, request: Request, complaint_id: int) -> Response:
        subject = f"complaint:{complaint_id}"
        principal = self._principal(request, "manage_complaints", subject)
        evidence = load(EvidenceSchema(), read_json(request))
        complaint = self.remote.registration.add_evidence(
            complaint_id, evidence["text"], principal.actor
        )
        self._record(request, principal, "complaint.evidence_added", subject)
        return json_response(201, complaint)

    @route("POST", f"{COMPLAINT}/status")
    def move_complaint(self, request: Request, complaint_id: int) -> Response:
        subject = f"complaint:{complaint_id}"
        principal = self._principal(request, "manage_complaints", subject)
        move = load(ComplaintStatusSchema(), read_json(request))
        complaint = self.remote.registration.move_complaint(
            complaint_id, move["status"], principal.actor, move["outcome"]
        )
        self._record(request, principal, "complaint.moved", subject, {"status": move["status"]})
        return json_response(200, complaint)

    # -- pausing -------------------------------------------------------------------------
    @route("POST", f"{BALLOT}/pause")
    def pause_ballot(self, request: Request, ballot_id: int) -> Response:
        reason, principal = self._pausing(request, ballot_id)
        ballot = self.remote.registration.pause_ballot(ballot_id, principal.actor, reason)
        self._record(request, principal, "ballot.paused", f"ballot:{ballot_id}", reason=reason)
        return json_response(200, ballot)

    @route("POST", f"{BALLOT}/resume")
    def request_resume(self, request: Request, ballot_id: int) -> Response:
        reason, principal = self._pausing(request, ballot_id)
        asked = self.remote.registration.request_resume(ballot_id, principal.actor, reason)
        subject = f"ballot:{ballot_id}"
        self._record(request, principal, "ballot.resume_requested", subject, reason=reason)
        return json_response(202, asked)

    @route("POST", f"{BALLOT}/resume/approve")
    def approve_resume(self, request: Request, ballot_id: int) -> Response:
        reason, principal = self._pausing(request, ballot_id)
        ballot = self.remote.registration.approve_resume(ballot_id, principal.actor, reason)
        subject = f"ballot:{ballot_id}"
        self._record(request, principal, "ballot.resume_approved", subject, reason=reason)
        return json_response(200, ballot)

    def _pausing(self, request: Request, ballot_id: int) -> tuple[str, Principal]:
        principal = self._principal(request, "pause_ballot", f"ballot:{ballot_id}")
        return load(ReasonSchema(), read_json(request))["reason"], principal
