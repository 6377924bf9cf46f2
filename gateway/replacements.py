"""Replacement codes: a member's own request (API and page), and an officer's or operator's reissue.

Entry points and the reply's words; the decision is registration's
(``services.registration.replacing``), who may reissue ``gateway.permissions``'s.

Guarantees:

- A member's request needs no token and gets the same status and the same
  words whether or not the details match a member, the contact matches, or
  a code is sent: the gateway only counts the request and hands it to
  registration, which writes it to its outbox and answers with the ballot's
  public window; the member is matched later, from that message. What
  differs is only what is public and the same for every member: an unknown
  ballot (404), the cut-offs (the reply says which way is still open), and
  after both cut-offs or the close a 409 ``replacement_closed`` saying what
  is left to do.
- Refused with 429 and ``Retry-After`` beyond ``limits.REPLACEMENT_MEMBER``
  an hour per membership number (in one ballot) or ``limits.REPLACEMENT_CLIENT`` per client
  address; a refused request is counted under neither.
- Every request is appended to the gateway's audit log (client address,
  ballot and membership number as typed, and the outcome: received, closed
  or rate limited), never the email or postcode typed.
- An officer reissues the code of a member of their own association only;
  an operator any member's. The reissue is audited with the actor and reason.
"""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape
from string import Template
from typing import Any

from nameko.exceptions import RemoteError
from werkzeug.wrappers import Request, Response

from gateway import limits, pages
from gateway.access import Access, guarded, source
from gateway.base import BALLOT, GatewayBase, now
from gateway.errors import (
    Answer,
    GatewayError,
    InvalidRequest,
    RateLimited,
    ReplacementClosed,
)
from gateway.schemas import ReissueSchema, ReplacementSchema, load
from gateway.web import (
    MAX_FORM,
    answer_for,
    ballot_number,
    json_response,
    limit_body,
    read_json,
    route,
)
from rollcall import audit

log = logging.getLogger(__name__)

RECEIVED = (
    "If these details match a member of this ballot who holds an access code, a new code is "
    "being sent to the email or postal address the party holds for them, and their old code "
    "no longer works. Nothing is shown here, whatever the answer."
)
CONTACT_ASSOCIATION = (
    "Vote with the access code or the postal ballot paper you have, or contact your association."
)


def when(iso: str | None) -> str:
    """A cut-off as a person reads it: "Saturday 19 December 2026, 17:00 UTC"."""
    if not iso:
        return ""
    at = datetime.fromisoformat(iso)
    return f"{at:%A} {at.day} {at:%B %Y}, {at:%H:%M} UTC"


def reply(window: dict[str, Any]) -> dict[str, Any]:
    """The reply to a request, from the ballot's window alone; ``ReplacementClosed`` when none is open."""
    if window["voting_closed"]:
        raise ReplacementClosed(
            "Voting has closed for this ballot, so no replacement code can be sent."
        )
    email, post = window["email"], window["post"]
    if not email and not post:
        raise ReplacementClosed(
            "Replacement codes can no longer be sent for this ballot: the cut-offs for a new "
            f"code by email ({when(window['replacement_cutoff'])}) and by letter "
            f"({when(window['postal_cutoff'])}) have passed. {CONTACT_ASSOCIATION}"
        )
    message = RECEIVED
    if not post:
        message += (
            " A new code can now go only by email: the last day for a letter "
            f"({when(window['postal_cutoff'])}) has passed. A member the party reaches only by "
            f"post: {CONTACT_ASSOCIATION[0].lower()}{CONTACT_ASSOCIATION[1:]}"
        )
    elif not email:
        message += (
            " A new code can now go only by letter: the cut-off for a new code by email "
            f"({when(window['replacement_cutoff'])}) has passed."
        )
    return {
        "status": "received",
        "message": message,
        "by_email": email,
        "by_post": post,
        "replacement_cutoff": window["replacement_cutoff"],
        "postal_cutoff": window["postal_cutoff"],
    }


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


_FORM = Template((pages.TEMPLATES / "replacement.html").read_text(encoding="utf-8"))


def form_page(
    ballot: str = "",
    number: str = "",
    cutoffs: str = "",
    message: str = "",
    ok: bool = False,
    test: bool = False,
) -> str:
    """The replacement form; what a member typed is kept (but for the email and postcode).
    ``test``: the ballot is a test ballot, and the page says so first."""
    content = _FORM.substitute(
        ballot=escape(ballot), number=escape(number), cutoffs=escape(cutoffs)
    )
    return pages.page("A new access code", pages.marked(test, content), message, ok=ok)


def cutoff_words(timetable: dict[str, Any]) -> str:
    """What the page says of the ballot's cut-offs (public)."""
    parts = []
    if timetable.get("replacement_cutoff"):
        parts.append(f"by email until {when(timetable['replacement_cutoff'])}")
    if timetable.get("postal_cutoff"):
        parts.append(f"by letter until {when(timetable['postal_cutoff'])}")
    if not parts:
        return "You can ask for a new code until voting closes."
    return f"You can ask for a new code {' and '.join(parts)}."


def html_error(answer: Answer, request: Request | None = None) -> Response:
    """An error on the replacement page: the form again, the message in plain words."""
    page = form_page(message=answer.body["error"]["message"])
    response = pages.html_response(answer.status, page)
    response.headers.update(answer.headers)
    return response


class _Refused(Exception):
    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


class ReplacementRoutes(GatewayBase):
    def _replacement(
        self, request: Request, ballot_id: int, asked: dict[str, Any]
    ) -> dict[str, Any]:
        """Count the request, hand it to registration, audit it; the reply's body (or raise)."""
        number = asked["membership_number"]
        client = self.clients(request)
        wait = self._take(client, f"{ballot_id}:{number.upper()}")
        if wait is not None:
            self._audit(request, ballot_id, number, "rate_limited")
            log.info("replacement on ballot %s refused for %ss: rate limited", ballot_id, wait)
            raise RateLimited(
                "Too many replacement codes have been asked for from here or for this "
                f"membership number. Please try again in {_minutes(wait)}.",
                retry_after=wait,
            )
        window = self.remote.registration.request_replacement(
            ballot_id, number, asked["email"], asked["postcode"]
        )
        try:
            answer = reply(window)
        except ReplacementClosed:
            self._audit(request, ballot_id, number, "closed")
            raise
        self._audit(request, ballot_id, number, "received")
        return answer

    def _take(self, client: str, member_of_ballot: str) -> int | None:
        """Count one request per member of a ballot and per client, or neither; the wait when refused."""
        moment = now()
        try:
            with self.store.transaction() as session:
                member = [limits.key("repl-member", member_of_ballot)]
                wait = limits.take(session, member, moment, limits.REPLACEMENT_MEMBER)
                if wait is None:
                    client_key = [limits.key("repl-client", client)]
                    wait = limits.take(session, client_key, moment, limits.REPLACEMENT_CLIENT)
                    if wait is not None:
                        raise _Refused(wait)  # rolls back the member's count too
        except _Refused as refused:
            return refused.wait
        return wait

    def _audit(self, request: Request, ballot_id: int, number: str, outcome: str) -> None:
        with self.store.transaction() as session:
            audit.append(
                session,
                actor="member",
                source=source(request),
                action="replacement.requested",
                subject=f"ballot:{ballot_id}/member:{number[:64]}",
                details={"outcome": outcome},
                at=now(),
            )

    @route("POST", f"{BALLOT}/replacement")
    def request_replacement(self, request: Request, ballot_id: int) -> Response:
        asked = load(ReplacementSchema(), read_json(request))
        return json_response(202, self._replacement(request, ballot_id, asked))

    # -- the HTML page ------------------------------------------------------------------
    @route("GET", "/replacement", render=html_error)
    def replacement_page(self, request: Request) -> Response:
        raw = request.args.get("ballot", "").strip()
        if not raw:
            return pages.html_response(200, form_page())
        ballot = self.remote.registration.get_ballot(ballot_number(raw))
        words = cutoff_words(dict(ballot.get("timetable") or {}))
        return pages.html_response(
            200, form_page(raw, cutoffs=words, test=bool(ballot.get("test")))
        )

    @route("POST", "/replacement", render=html_error)
    def replacement_form(self, request: Request) -> Response:
        limit_body(request, MAX_FORM)
        raw = request.form.get("ballot_id", "").strip()
        number = request.form.get("membership_number", "")
        try:
            ballot_id = ballot_number(raw)
            asked = load(
                ReplacementSchema(),
                {
                    "membership_number": number,
                    "email": request.form.get("email", ""),
                    "postcode": request.form.get("postcode", ""),
                },
            )
            answer = self._replacement(request, ballot_id, asked)
        except (GatewayError, RemoteError) as exc:
            failed = answer_for(exc, request, "/replacement")
            return pages.refused_form(failed, lambda words: form_page(raw, number, message=words))
        words = cutoff_words(answer)
        return pages.html_response(
            202, form_page(raw, cutoffs=words, message=answer["message"], ok=True)
        )

    # -- an officer's or operator's reissue ---------------------------------------------
    @route("POST", f"{BALLOT}/members/<membership_number>/reissue")
    @guarded("reissue_code", "member.code_reissued")
    def reissue_code(
        self, request: Request, access: Access, ballot_id: int, membership_number: str
    ) -> Response:
        asked = load(ReissueSchema(), read_json(request))
        if len(membership_number) > 64:
            raise InvalidRequest("A membership number has at most 64 characters.")
        member = self.remote.registration.get_member(ballot_id, membership_number)
        access.check_owner(member.get("association"))
        access.reason = asked["reason"]
        result = self.remote.registration.reissue_code(
            ballot_id,
            membership_number,
            access.actor,
            access.reason,
            source="officer" if access.principal.role == "officer" else "operator",
            channel=asked["channel"],
            via="gateway",
        )
        access.details.update(channel=result.get("channel"), status=result.get("status"))
        return json_response(202, result)
