"""The gateway: HTTP in front of the services, and the users who may use it.

Entry points only. Each HTTP route reads the request, asks ``gateway.auth``
whether it may happen (before any remote call), calls the service that owns
the data, writes privileged actions and refusals to the gateway's audit log
with the actor, and answers. Errors become responses in ``gateway.web``
through the one table in ``gateway.errors``.

``GatewayService`` is made of route groups sharing ``gateway.base``: the
members of a ballot (``gateway.roll``), and audit heads, complaints and
pausing (``gateway.oversight``); voting, results, scrutiny, reviews, users
and the HTML page are here. Like every service it answers ``get_audit_head``.

Voters hold no token: on ``/api/ballots/<id>/votes`` and the HTML page the
access code is the credential, checked by the codes service. Nothing here
logs or stores a code or a vote.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from nameko.exceptions import RemoteError
from nameko.rpc import rpc
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Request, Response

from gateway import auth, pages, users
from gateway.base import BALLOT, now
from gateway.errors import RPC_EXPECTED, GatewayError, InvalidRequest, ServiceUnavailable
from gateway.oversight import OversightRoutes
from gateway.roll import RollRoutes
from gateway.schemas import DecisionSchema, PostalBatchSchema, VoteSchema, load
from gateway.web import (
    MAX_FORM,
    SECURITY_HEADERS,
    answer_for,
    json_response,
    limit_body,
    read_json,
    route,
)
from rollcall.audit import AuditedService

OPENAPI = Path(__file__).parent / "openapi.yaml"


def _file_response(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, status=200, mimetype=mimetype)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


class GatewayService(RollRoutes, OversightRoutes, AuditedService):
    name = "gateway"

    # -- users (RPC, for the CLI) ----------------------------------------------
    @rpc(expected_exceptions=RPC_EXPECTED)
    def add_user(
        self,
        name: str,
        role: str,
        association: str | None = None,
        actor: str = "cli",
        ballot_id: int | None = None,
    ) -> dict[str, Any]:
        with self.store.transaction() as session:
            return users.add(
                session,
                name=name,
                role=role,
                association=association,
                ballot_id=ballot_id,
                actor=actor,
                token=auth.new_token(),
                now=now(),
            )

    @rpc(expected_exceptions=RPC_EXPECTED)
    def revoke_user(self, user_id: int, actor: str = "cli") -> dict[str, Any]:
        with self.store.transaction() as session:
            return users.revoke(session, user_id=int(user_id), actor=actor, now=now())

    @rpc
    def list_users(self) -> list[dict[str, Any]]:
        with self.store.transaction() as session:
            return users.listing(session)

    # -- voters ------------------------------------------------------------------
    def _vote(self, ballot_id: int, vote: dict[str, Any], client: str) -> str:
        voter = self.remote.codes.verify_code(ballot_id, vote["code"], client)
        cast = self.remote.tally.cast_ballot(
            ballot_id, voter["membership_number"], vote["choices"], "online"
        )
        return str(cast["receipt"])

    @route("POST", f"{BALLOT}/votes")
    def cast_vote(self, request: Request, ballot_id: int) -> Response:
        vote = load(VoteSchema(), read_json(request))
        receipt = self._vote(ballot_id, vote, request.remote_addr or "")
        return json_response(201, {"receipt": receipt})

    @route("GET", f"{BALLOT}/receipts/<receipt>")
    def get_receipt(self, request: Request, ballot_id: int, receipt: str) -> Response:
        return json_response(200, self.remote.tally.get_receipt(ballot_id, receipt))

    @route("GET", f"{BALLOT}/result")
    def get_result(self, request: Request, ballot_id: int) -> Response:
        return json_response(200, self.remote.tally.get_result(ballot_id))

    @route("GET", f"{BALLOT}/result.txt")
    def get_result_table(self, request: Request, ballot_id: int) -> Response:
        files = self.remote.tally.get_result_files(ballot_id)
        return _file_response(files["table"], "text/plain", f"ballot-{ballot_id}-result.txt")

    @route("GET", f"{BALLOT}/result.png")
    def get_result_chart(self, request: Request, ballot_id: int) -> Response:
        files = self.remote.tally.get_result_files(ballot_id)
        chart = base64.b64decode(files["chart_png_base64"], validate=True)
        return _file_response(chart, "image/png", f"ballot-{ballot_id}-result.png")

    @route("GET", f"{BALLOT}/key")
    def get_key(self, request: Request, ballot_id: int) -> Response:
        return json_response(200, self.remote.tally.get_key(ballot_id))

    @route("GET", f"{BALLOT}/bulletin")
    def get_bulletin(self, request: Request, ballot_id: int) -> Response:
        return json_response(200, self.remote.tally.get_bulletin(ballot_id))

    # -- scrutiny and operations ---------------------------------------------------
    @route("GET", f"{BALLOT}/marked-register")
    def get_marked_register(self, request: Request, ballot_id: int) -> Response:
        subject = f"ballot:{ballot_id}"
        principal = self._principal(request, "read_marked_register", subject)
        register = self.remote.tally.get_marked_register(ballot_id)
        self._record(request, principal, "marked_register.read", subject)
        return json_response(200, register)

    @route("POST", f"{BALLOT}/postal-batches")
    def enter_postal_batch(self, request: Request, ballot_id: int) -> Response:
        subject = f"ballot:{ballot_id}"
        principal = self._principal(request, "enter_postal_batch", subject)
        reasons = auth.ballot_refusals(principal, ballot_id)
        self._refuse_if(request, principal, "enter_postal_batch", subject, reasons)
        batch = load(PostalBatchSchema(), read_json(request))
        result = self.remote.tally.enter_postal_batch(
            ballot_id, batch["batch_id"], principal.actor, batch["papers"]
        )
        # Counts only: which paper carried which choices never reaches the log.
        summary = {
            "batch_id": batch["batch_id"],
            "papers": len(batch["papers"]),
            "entered": result.get("entered"),
            "refused": len(result.get("refused") or []),
            "duplicate_batch": bool(result.get("duplicate_batch")),
        }
        self._record(request, principal, "postal_batch.entered", subject, summary)
        return json_response(200 if summary["duplicate_batch"] else 201, result)

    @route("GET", f"{BALLOT}/reconciliation")
    def get_reconciliation(self, request: Request, ballot_id: int) -> Response:
        subject = f"ballot:{ballot_id}"
        principal, association, _ = self._scoped(request, "read_reconciliation", subject)
        report = self.remote.registration.reconcile(ballot_id, association=association)
        self._record(
            request, principal, "reconciliation.read", subject, {"association": association}
        )
        return json_response(200, report)

    # -- match reviews ------------------------------------------------------------
    @route("GET", f"{BALLOT}/reviews")
    def list_reviews(self, request: Request, ballot_id: int) -> Response:
        subject = f"ballot:{ballot_id}"
        principal, association, _ = self._scoped(request, "list_reviews", subject)
        reviews = self.remote.matching.list_reviews(ballot_id, association)
        self._record(request, principal, "reviews.listed", subject, {"association": association})
        return json_response(200, reviews)

    @route("POST", "/api/reviews/<int:review_id>/decision")
    def decide_review(self, request: Request, review_id: int) -> Response:
        subject = f"review:{review_id}"
        principal = self._principal(request, "decide_review", subject)
        decision = load(DecisionSchema(), read_json(request))
        review = self.remote.matching.get_review(review_id)
        reasons = auth.review_refusals(principal, review.get("association"))
        self._refuse_if(request, principal, "decide_review", subject, reasons)
        result = self.remote.matching.decide_review(
            review_id, decision["elector_id"], principal.actor, decision["reason"]
        )
        self._record(
            request,
            principal,
            "review.decided",
            subject,
            {"elector_id": decision["elector_id"], "association": review.get("association")},
            decision["reason"],
        )
        return json_response(200, result)

    # -- the service itself ----------------------------------------------------------
    @route("GET", "/healthz")
    def healthz(self, request: Request) -> Response:
        try:
            with self.store.transaction() as session:
                session.execute(text("select 1"))
        except OperationalError as exc:
            raise ServiceUnavailable("the gateway's database cannot be reached") from exc
        return json_response(200, {"status": "ok"})

    @route("GET", "/openapi.yaml")
    def openapi(self, request: Request) -> Response:
        return Response(OPENAPI.read_text(encoding="utf-8"), mimetype="application/yaml")

    # -- the HTML voting page -----------------------------------------------------
    @route("GET", "/", render=pages.html_error)
    def index(self, request: Request) -> Response:
        return self.vote_page(request)

    @route("GET", "/vote", render=pages.html_error)
    def vote_page(self, request: Request) -> Response:
        raw = request.args.get("ballot", "").strip()
        if not raw:
            return pages.html_response(200, pages.ballot_picker())
        if not raw.isdigit():
            raise InvalidRequest("A ballot number is made of digits only.")
        ballot = self.remote.registration.get_ballot(int(raw))
        return pages.html_response(200, pages.vote_form(ballot))

    @route("POST", "/vote", render=pages.html_error)
    def vote_form(self, request: Request) -> Response:
        limit_body(request, MAX_FORM)
        raw = request.form.get("ballot_id", "").strip()
        if not raw.isdigit():
            raise InvalidRequest("A ballot number is made of digits only.")
        ballot_id = int(raw)
        choices = [c for c in request.form.getlist("choice") if c]
        try:
            vote = load(VoteSchema(), {"code": request.form.get("code", ""), "choices": choices})
            receipt = self._vote(ballot_id, vote, request.remote_addr or "")
        except (GatewayError, RemoteError) as exc:
            return self._form_again(request, ballot_id, exc, choices)
        # No remote call after the vote is cast: nothing may stand between it and its receipt.
        return pages.html_response(201, pages.receipt_page(ballot_id, receipt))

    def _form_again(
        self, request: Request, ballot_id: int, exc: Exception, choices: list[str]
    ) -> Response:
        """The voting form again, saying in plain words what went wrong."""
        answer = answer_for(exc, request, "/vote")
        message = answer.body["error"]["message"]
        try:
            ballot = self.remote.registration.get_ballot(ballot_id)
        except (GatewayError, RemoteError):
            return pages.html_response(answer.status, pages.ballot_picker(message, str(ballot_id)))
        return pages.html_response(answer.status, pages.vote_form(ballot, message, choices))
