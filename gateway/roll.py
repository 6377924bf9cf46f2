"""Routes about the members of a ballot: the list, corrections, contact changes, the roll check.

Entry points only; the rules live in ``gateway.permissions`` (who may, applied
by ``gateway.access``), ``gateway.schemas`` (what is accepted),
``gateway.limits`` (how often) and ``gateway.exports`` (the CSV).

Guarantees:

- An officer sees and corrects the members of their own association only:
  the list is asked for theirs and filtered to it again here, and a
  member's association is looked up before a correction is sent. A member
  of another association is answered as one who is not on the ballot (404
  ``member_not_found``), so an officer cannot learn where a number belongs;
  the refusal and its reason are in the audit log.
- Every listing, export, correction and decision is appended to the
  gateway's audit log with the actor; a correction is logged by field name,
  never by value.
- The roll check needs no token and answers the same 202 body whatever the
  facts: the answer goes to the contact the party holds. It is refused with
  429 and ``Retry-After`` beyond ``limits.ROLL_CHECK`` an hour per client
  address and per membership number. The postcode is never logged.
"""

from __future__ import annotations

import logging
import math
from html import escape
from string import Template
from typing import Any

from nameko.exceptions import RemoteError
from nameko.timer import timer
from werkzeug.wrappers import Request, Response

from gateway import exports, limits, pages
from gateway.access import Access, guarded
from gateway.base import BALLOT, GatewayBase, now
from gateway.errors import (
    Answer,
    Forbidden,
    GatewayError,
    InvalidRequest,
    NoSuchMember,
    RateLimited,
)
from gateway.schemas import (
    ChangeDecisionSchema,
    ChangesQuery,
    CorrectionSchema,
    MembersQuery,
    RollCheckSchema,
    load,
)
from gateway.web import (
    MAX_FORM,
    answer_for,
    ballot_number,
    file_response,
    json_response,
    limit_body,
    read_json,
    route,
)

log = logging.getLogger(__name__)

MAX_MEMBERSHIP_NUMBER = 64
#: Seconds between purges of rate-limit counters that no longer count.
PURGE_INTERVAL = 600
ROLL_CHECK_ANSWER = {
    "status": "received",
    "message": (
        "If these details match a member of this ballot, the answer has been sent to the "
        "email or postal address the party holds for them. Nothing is shown here, "
        "whatever the answer."
    ),
}


def _membership_number(number: str) -> str:
    if not 1 <= len(number) <= MAX_MEMBERSHIP_NUMBER:
        raise InvalidRequest(f"A membership number has at most {MAX_MEMBERSHIP_NUMBER} characters.")
    return number


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


_FORM = Template((pages.TEMPLATES / "rollcheck.html").read_text(encoding="utf-8"))


def roll_check_form(
    ballot: str = "", number: str = "", message: str = "", ok: bool = False, test: bool = False
) -> str:
    """The roll-check page; what a member typed is kept (but for the postcode). ``test``: the
    ballot is a test ballot, and the page says so first."""
    content = _FORM.substitute(ballot=escape(ballot), number=escape(number))
    return pages.page("Am I on the roll?", pages.marked(test, content), message, ok=ok)


def roll_check_error(answer: Answer, request: Request | None = None) -> Response:
    """An error on the roll-check page: the form again, the message in plain words."""
    response = pages.html_response(
        answer.status, roll_check_form(message=answer.body["error"]["message"])
    )
    response.headers.update(answer.headers)
    return response


class RollRoutes(GatewayBase):
    # -- the member list -------------------------------------------------------------
    @route("GET", f"{BALLOT}/members")
    @guarded("list_members", "members.listed", query=MembersQuery)
    def list_members(self, request: Request, access: Access, ballot_id: int) -> Response:
        if access.query["format"] == "csv":
            return self._export(access, ballot_id)
        return json_response(200, self._members(access, ballot_id))

    @route("GET", f"{BALLOT}/members.csv")
    @guarded("list_members", "members.exported", query=MembersQuery)
    def export_members(self, request: Request, access: Access, ballot_id: int) -> Response:
        return self._export(access, ballot_id)

    def _export(self, access: Access, ballot_id: int) -> Response:
        access.audit = "members.exported"
        members = self._members(access, ballot_id)
        filename = exports.members_filename(ballot_id, access.association)
        return file_response(exports.members_csv(members), "text/csv", filename, "attachment")

    def _members(self, access: Access, ballot_id: int) -> list[dict[str, Any]]:
        """The ballot's members the caller may see: an officer's list is filtered here again."""
        ballot = self.remote.registration.get_ballot(ballot_id)  # unknown: a 404, not []
        self.hide_test_ballot(access.principal.role, ballot_id, ballot)
        association = access.association
        members = [
            m
            for m in self.remote.registration.list_members(ballot_id, association)
            if association is None or m.get("association") == association
        ]
        access.details["members"] = len(members)
        return members

    # -- corrections -------------------------------------------------------------------
    @route("POST", f"{BALLOT}/members/<membership_number>/corrections")
    @guarded("correct_member", "member.corrected")
    def correct_member(
        self, request: Request, access: Access, ballot_id: int, membership_number: str
    ) -> Response:
        number = _membership_number(membership_number)
        correction = load(CorrectionSchema(), read_json(request))
        member = self.remote.registration.get_member(ballot_id, number)
        try:
            access.check_owner(member.get("association"))
        except Forbidden:
            # Refused and audited with the reason; but which association a
            # number belongs to is not an officer's to learn: answer as for
            # a number that is not on the ballot.
            raise NoSuchMember(f"member {number} is not on ballot {ballot_id}") from None
        changes, access.reason = correction["changes"], correction["reason"]
        result = self.remote.registration.correct_member(
            ballot_id, number, changes, access.actor, access.reason
        )
        access.details.update(
            fields=sorted(changes), status=result.get("status"), change_id=result.get("change_id")
        )
        return json_response(202 if result.get("status") == "pending_approval" else 200, result)

    # -- contact changes waiting for a second person ------------------------------------
    @route("GET", f"{BALLOT}/changes")
    @guarded("list_changes", "changes.listed", query=ChangesQuery)
    def list_changes(self, request: Request, access: Access, ballot_id: int) -> Response:
        status = access.query["status"]
        self.remote.registration.get_ballot(ballot_id)
        changes = self.remote.registration.list_changes(ballot_id, status)
        access.details.update(status=status, changes=len(changes))
        return json_response(200, changes)

    @route("POST", "/api/changes/<int:change_id>/decision")
    @guarded("decide_change", "change.decided")
    def decide_change(self, request: Request, access: Access, change_id: int) -> Response:
        decision = load(ChangeDecisionSchema(), read_json(request))
        access.reason = decision["reason"]
        # The same identity that asked for a change (``actor``) approves it, so
        # registration can tell when both are one person.
        result = self.remote.registration.decide_change(
            change_id, access.actor, decision["approve"], access.reason
        )
        access.details.update(approve=decision["approve"], status=result.get("status"))
        return json_response(200, result)

    # -- a member's own roll check ------------------------------------------------------
    @route("POST", f"{BALLOT}/roll-check")
    def check_roll(self, request: Request, ballot_id: int) -> Response:
        self._roll_check(request, ballot_id, load(RollCheckSchema(), read_json(request)))
        return json_response(202, ROLL_CHECK_ANSWER)

    def _roll_check(self, request: Request, ballot_id: int, asked: dict[str, Any]) -> None:
        """Count the check (or refuse it, 429) and hand it to registration, which answers by mail."""
        number = asked["membership_number"]
        keys = [
            limits.key("client", self.clients(request)),
            limits.key("member", number.upper()),
        ]
        with self.store.transaction() as session:
            wait = limits.take(session, keys, now(), limits.ROLL_CHECK)
        if wait is not None:
            log.info("roll check on ballot %s refused for %ss: rate limited", ballot_id, wait)
            raise RateLimited(
                "Too many roll checks have been asked for from here or for this membership "
                f"number. Please try again in {_minutes(wait)}.",
                retry_after=wait,
            )
        self.remote.registration.roll_check(ballot_id, number, asked["postcode"])

    # -- the roll check as a page: what the exclusion notice links to -------------------
    @route("GET", "/roll-check", render=roll_check_error)
    def roll_check_page(self, request: Request) -> Response:
        raw = request.args.get("ballot", "").strip()
        test = False
        if raw:  # an unknown ballot is said on the page
            test = bool(self.remote.registration.get_ballot(ballot_number(raw)).get("test"))
        return pages.html_response(200, roll_check_form(raw, test=test))

    @route("POST", "/roll-check", render=roll_check_error)
    def roll_check_form_sent(self, request: Request) -> Response:
        limit_body(request, MAX_FORM)
        raw = request.form.get("ballot_id", "").strip()
        number = request.form.get("membership_number", "")
        try:
            ballot_id = ballot_number(raw)
            asked = load(
                RollCheckSchema(),
                {"membership_number": number, "postcode": request.form.get("postcode", "")},
            )
            test = bool(self.remote.registration.get_ballot(ballot_id).get("test"))
            self._roll_check(request, ballot_id, asked)
        except (GatewayError, RemoteError) as exc:
            failed = answer_for(exc, request, "/roll-check")
            return pages.refused_form(failed, lambda words: roll_check_form(raw, number, words))
        return pages.html_response(
            202, roll_check_form(raw, message=ROLL_CHECK_ANSWER["message"], ok=True, test=test)
        )

    @timer(interval=PURGE_INTERVAL)
    def purge_rate_limits(self) -> None:
        with self.store.transaction() as session:
            limits.purge(session, now(), limits.ROLL_CHECK)
