"""The gateway: HTTP in front of the services, and the users who may use it.

Entry points only. Each HTTP route reads the request, calls the service that
owns the data, and answers; a privileged route declares its action with
``gateway.access.guarded``, which checks the caller before any remote call
and writes the action (or its refusal) to the gateway's audit log with the
actor. Errors become responses in ``gateway.web`` through the one table in
``gateway.errors``.

``GatewayService`` is made of route groups sharing ``gateway.base``: voting
and receipts (``gateway.voting``), replacement codes and reissues
(``gateway.replacements``), the members of a ballot (``gateway.roll``),
the rows its extracts dropped (``gateway.dropped_rows``), and audit heads,
complaints and pausing (``gateway.oversight``), the scrutineer's report
(``gateway.reports``). Results,
scrutiny, postal batches, reviews and users are here. Like every service it
answers ``get_audit_head``.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Request, Response

from gateway import auth, users
from gateway.access import Access, guarded
from gateway.base import BALLOT, now
from gateway.bounces import BounceRoutes
from gateway.dropped_rows import DroppedRowRoutes
from gateway.errors import RPC_EXPECTED, ServiceUnavailable, TestBallotHidden, TestReviewHidden
from gateway.oversight import OversightRoutes
from gateway.preview import PreviewRoutes
from gateway.replacements import ReplacementRoutes
from gateway.reports import ReportRoutes
from gateway.roll import RollRoutes
from gateway.schemas import DecisionSchema, PostalBatchSchema, WithdrawalSchema, load
from gateway.voting import VotingRoutes
from gateway.web import file_response, json_response, read_json, route
from rollcall.audit import AuditedService
from rollcall.messaging.rpc import rpc

OPENAPI = Path(__file__).parent / "openapi.yaml"


class GatewayService(
    VotingRoutes,
    RollRoutes,
    DroppedRowRoutes,
    OversightRoutes,
    ReplacementRoutes,
    ReportRoutes,
    BounceRoutes,
    PreviewRoutes,
    AuditedService,
):
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
    def add_token(self, user_id: int, actor: str = "cli") -> dict[str, Any]:
        """Another token for an existing user: the same person to every rule."""
        with self.store.transaction() as session:
            return users.add_token(
                session, user_id=int(user_id), actor=actor, token=auth.new_token(), now=now()
            )

    @rpc(expected_exceptions=RPC_EXPECTED)
    def revoke_user(self, user_id: int, actor: str = "cli") -> dict[str, Any]:
        with self.store.transaction() as session:
            return users.revoke(session, user_id=int(user_id), actor=actor, now=now())

    @rpc
    def list_users(self) -> list[dict[str, Any]]:
        with self.store.transaction() as session:
            return users.listing(session)

    # -- results: anyone may read them -------------------------------------------
    @route("GET", f"{BALLOT}/result")
    def get_result(self, request: Request, ballot_id: int) -> Response:
        return json_response(200, self.remote.tally.get_result(ballot_id))

    @route("GET", f"{BALLOT}/result.txt")
    def get_result_table(self, request: Request, ballot_id: int) -> Response:
        files = self.remote.tally.get_result_files(ballot_id)
        return file_response(files["table"], "text/plain", f"ballot-{ballot_id}-result.txt")

    @route("GET", f"{BALLOT}/result.png")
    def get_result_chart(self, request: Request, ballot_id: int) -> Response:
        files = self.remote.tally.get_result_files(ballot_id)
        chart = base64.b64decode(files["chart_png_base64"], validate=True)
        return file_response(chart, "image/png", f"ballot-{ballot_id}-result.png")

    @route("GET", f"{BALLOT}/key")
    def get_key(self, request: Request, ballot_id: int) -> Response:
        return json_response(200, self.remote.tally.get_key(ballot_id))

    @route("GET", f"{BALLOT}/bulletin")
    def get_bulletin(self, request: Request, ballot_id: int) -> Response:
        return json_response(200, self.remote.tally.get_bulletin(ballot_id))

    # -- scrutiny and operations ---------------------------------------------------
    @route("GET", f"{BALLOT}/marked-register")
    @guarded("read_marked_register", "marked_register.read")
    def get_marked_register(self, request: Request, access: Access, ballot_id: int) -> Response:
        return json_response(200, self.remote.tally.get_marked_register(ballot_id))

    @route("POST", f"{BALLOT}/postal-batches")
    @guarded("enter_postal_batch", "postal_batch.entered")
    def enter_postal_batch(self, request: Request, access: Access, ballot_id: int) -> Response:
        batch = load(PostalBatchSchema(), read_json(request))
        result = self.remote.tally.enter_postal_batch(
            ballot_id, batch["batch_id"], access.actor, batch["papers"]
        )
        # Counts only: which paper carried which choices never reaches the log.
        access.details.update(
            batch_id=batch["batch_id"],
            papers=len(batch["papers"]),
            entered=result.get("entered"),
            refused=len(result.get("refused") or []),
            duplicate_batch=bool(result.get("duplicate_batch")),
        )
        return json_response(200 if access.details["duplicate_batch"] else 201, result)

    @route("POST", f"{BALLOT}/withdrawals")
    @guarded("withdraw_candidate", "candidate.withdrawn")
    def withdraw_candidate(self, request: Request, access: Access, ballot_id: int) -> Response:
        asked = load(WithdrawalSchema(), read_json(request))
        access.reason = asked["reason"]
        access.details.update(candidate=asked["candidate"], contest=asked["contest"])
        result = self.remote.tally.withdraw_candidate(
            ballot_id, asked["candidate"], asked["contest"], asked["reason"], access.actor
        )
        return json_response(200 if result.get("already_withdrawn") else 201, result)

    @route("GET", f"{BALLOT}/reconciliation")
    @guarded("read_reconciliation", "reconciliation.read")
    def get_reconciliation(self, request: Request, access: Access, ballot_id: int) -> Response:
        self.hide_test_ballot(access.principal.role, ballot_id)
        report = self.remote.registration.reconcile(ballot_id, association=access.association)
        return json_response(200, report)

    # -- match reviews ------------------------------------------------------------
    @route("GET", f"{BALLOT}/reviews")
    @guarded("list_reviews", "reviews.listed")
    def list_reviews(self, request: Request, access: Access, ballot_id: int) -> Response:
        self.hide_test_ballot(access.principal.role, ballot_id)
        return json_response(200, self.remote.matching.list_reviews(ballot_id, access.association))

    @route("POST", "/api/reviews/<int:review_id>/decision")
    @guarded("decide_review", "review.decided")
    def decide_review(self, request: Request, access: Access, review_id: int) -> Response:
        decision = load(DecisionSchema(), read_json(request))
        review = self.remote.matching.get_review(review_id)
        if access.principal.role == "officer" and review.get("ballot_id") is not None:
            # A review carries no ballot in its path: an officer's is checked here, and a test
            # ballot's answers as a review that does not exist.
            try:
                self.hide_test_ballot("officer", int(review["ballot_id"]))
            except TestBallotHidden:
                raise TestReviewHidden(f"review {review_id} is of a test ballot") from None
        access.details["elector_id"] = decision["elector_id"]
        access.check_owner(review.get("association"))
        access.reason = decision["reason"]
        result = self.remote.matching.decide_review(
            review_id, decision["elector_id"], access.actor, access.reason
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
