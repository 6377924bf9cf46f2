"""Routes a voter uses: casting a vote (JSON or the HTML page) and checking a receipt.

Entry points only; the page is ``gateway.pages``'s, what is accepted
``gateway.schemas``'s.

Voters hold no token: the access code is the credential, checked by the
codes service before the tally casts the vote. Nothing here logs or stores a
code or a vote. On the HTML page every error is the page again, saying in
plain words what went wrong, with the choices the voter made kept.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from nameko.exceptions import RemoteError
from werkzeug.wrappers import Request, Response

from gateway import pages
from gateway.base import BALLOT, GatewayBase
from gateway.errors import GatewayError
from gateway.schemas import REQUEST_ID, VoteSchema, load
from gateway.web import (
    MAX_FORM,
    answer_for,
    ballot_number,
    json_response,
    limit_body,
    read_json,
    route,
)


def request_token(ballot_id: int, vote: dict[str, Any]) -> str:
    """The token the tally knows a repeated vote by (``services/tally/repeats.py``).

    Made from the access code, the choices (or each contest's, on a ballot with
    several) and the voter's ``request_id``: the
    same vote sent again gets the same token, any other vote another. Without a
    ``request_id`` a random one stands in, so a redelivered call is still known
    but a second HTTP request is a second vote. The code makes it a secret of
    the voter's: nobody who knows only a member, or only their request id, can
    make it.
    """
    request_id = vote.get("request_id") or secrets.token_urlsafe(24)
    code = "".join(str(vote["code"]).split()).upper()
    if "contests" in vote:
        choices: Any = {"contests": {str(k): list(v) for k, v in vote["contests"].items()}}
    else:
        choices = list(vote["choices"])
    material = json.dumps(["rollcall vote", ballot_id, code, choices, request_id], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


#: Made once: a schema reused costs a fifth of one made for each vote (it keeps no state).
_VOTE = VoteSchema()


class VotingRoutes(GatewayBase):
    def _vote(self, ballot_id: int, vote: dict[str, Any], client: str) -> str:
        voter = self.remote.codes.verify_code(ballot_id, vote["code"], client)
        choices = vote["contests"] if "contests" in vote else vote["choices"]
        cast = self.remote.tally.cast_ballot(
            ballot_id,
            voter["membership_number"],
            choices,
            "online",
            request_token=request_token(ballot_id, vote),
        )
        return str(cast["receipt"])

    @route("POST", f"{BALLOT}/votes")
    def cast_vote(self, request: Request, ballot_id: int) -> Response:
        vote = load(_VOTE, read_json(request))
        receipt = self._vote(ballot_id, vote, self.clients(request))
        return json_response(201, {"receipt": receipt})

    @route("GET", f"{BALLOT}/receipts/<receipt>")
    def get_receipt(self, request: Request, ballot_id: int, receipt: str) -> Response:
        return json_response(200, self.remote.tally.get_receipt(ballot_id, receipt))

    # -- the HTML voting page -----------------------------------------------------
    @route("GET", "/", render=pages.html_error)
    def index(self, request: Request) -> Response:
        return self.vote_page(request)

    @route("GET", "/vote", render=pages.html_error)
    def vote_page(self, request: Request) -> Response:
        raw = request.args.get("ballot", "").strip()
        if not raw:
            return pages.html_response(200, pages.ballot_picker())
        ballot = self.remote.registration.get_ballot(ballot_number(raw))
        return pages.html_response(200, pages.vote_form(ballot, withdrawn=self._withdrawn(ballot)))

    def _withdrawn(self, ballot: dict[str, Any]) -> dict[str, list[str]]:
        """The candidates withdrawn from each contest of an open ballot, by contest id."""
        if ballot.get("phase") != "open":
            return {}
        gone: dict[str, list[str]] = {}
        for w in self.remote.tally.list_withdrawals(int(ballot["ballot_id"])):
            gone.setdefault(str(w["contest"]), []).append(str(w["candidate"]))
        return gone

    @route("POST", "/vote", render=pages.html_error)
    def vote_form(self, request: Request) -> Response:
        limit_body(request, MAX_FORM)
        ballot_id = ballot_number(request.form.get("ballot_id", "").strip())
        # A ballot with several contests names its fields choice-<contest id>.
        contests = {
            key.removeprefix("choice-"): [c for c in request.form.getlist(key) if c]
            for key in request.form
            if key.startswith("choice-")
        }
        choices: list[str] | dict[str, list[str]] = contests or [
            c for c in request.form.getlist("choice") if c
        ]
        sent: dict[str, Any] = {"contests": choices} if contests else {"choices": choices}
        if request.form.get("request_id"):
            sent["request_id"] = request.form["request_id"]
        try:
            vote = load(_VOTE, {"code": request.form.get("code", ""), **sent})
            receipt = self._vote(ballot_id, vote, self.clients(request))
        except (GatewayError, RemoteError) as exc:
            return self._form_again(request, ballot_id, exc, choices)
        # No remote call after the vote is cast: nothing may stand between it and its receipt.
        return pages.html_response(201, pages.receipt_page(ballot_id, receipt))

    def _form_again(
        self,
        request: Request,
        ballot_id: int,
        exc: Exception,
        choices: list[str] | dict[str, list[str]],
    ) -> Response:
        """The voting form again, saying in plain words what went wrong."""
        answer = answer_for(exc, request, "/vote")
        message = answer.body["error"]["message"]
        try:
            ballot = self.remote.registration.get_ballot(ballot_id)
        except (GatewayError, RemoteError):
            return pages.html_response(answer.status, pages.ballot_picker(message, str(ballot_id)))
        error = answer.body["error"]
        about_code = error["code"] in pages.CODE_ERRORS or "code" in error.get("fields", {})
        # The same request id again: if the vote was cast after all, sending it again
        # answers with its receipt rather than "already voted".
        again = request.form.get("request_id", "")
        form = pages.vote_form(
            ballot,
            message,
            choices,
            code_invalid=about_code,
            request_id=again if re.fullmatch(REQUEST_ID, again) else "",
            withdrawn=self._withdrawn(ballot),
        )
        response = pages.html_response(answer.status, form)
        response.headers.update(answer.headers)
        return response
