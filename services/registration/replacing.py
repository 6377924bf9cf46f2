"""Replacement codes: a member's own request, and an officer's or operator's reissue.

The rules, each inside the caller's transaction:

- ``window`` (pure) says which ways a replacement can still go at a moment:
  by email until the timetable's ``replacement_cutoff``, by letter until its
  ``postal_cutoff``, neither once voting has closed. It is public: the
  gateway's reply may say it, since it is the same for every member.
- ``accept_request`` takes a member's request as typed and only writes it
  to the outbox (``replacement.requested``): the same work, and so the same
  reply and about the same time, whether or not anything matches.
- ``apply_request`` (registration's own handler of that event) decides. A
  new code goes only if the membership number and the email or postcode
  match what the party holds, the member holds a code (emailed, posted or
  not delivered) and has not voted, and a way is open at the moment they
  asked. It goes the way their code last went (a letter after an email
  that failed), else the other way if that is still open and the party holds
  that contact; never to a contact the member typed.
- ``reissue`` is an officer's or operator's reissue for one member: the
  same choice of channel (or the one asked for), the cut-offs do not bind an
  officer but a letter after the postal cut-off is refused (it would arrive
  too late), and a refusal is an error with the reason.
- Either way the ledger's one writer records the fact (``replacement_requested``
  or ``resend``, to ``awaiting_code``), ``voters.reissue_requested`` asks the
  codes service to replace the code (the old one stops working when the new
  one is made; no cooling-off unless a contact change is still cooling off),
  and a ``replacements`` row and an audit entry say who asked and what came of
  it. Neither holds the email or postcode the member typed (only the
  ``replacement.requested`` message that carried them does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollcall import audit, metrics
from rollcall.messaging.outbox import emit
from services.registration import ballots, contacts, ledger_writer
from services.registration.errors import MemberNotFound, ReissueRefused
from services.registration.ledger import HOLDS_CODE, STATES
from services.registration.models import Ballot, LedgerEntry, Member, Replacement
from services.registration.rows import normalise_postcode

#: Phases in which a code can still be replaced: before voting closes.
REPLACEABLE_PHASES = ("draft", "open", "paused")


@dataclass(frozen=True)
class Window:
    """Which ways a replacement code can go at a moment, and the cut-offs that decide it."""

    email: bool
    post: bool
    replacement_cutoff: str | None
    postal_cutoff: str | None
    closed: bool

    def open(self, channel: str) -> bool:
        return self.email if channel == "email" else self.post

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "post": self.post,
            "replacement_cutoff": self.replacement_cutoff,
            "postal_cutoff": self.postal_cutoff,
            "voting_closed": self.closed,
        }


def _before(timetable: dict[str, Any], key: str, now: datetime) -> bool:
    at = timetable.get(key)
    return not at or now < datetime.fromisoformat(at)


def window(timetable: dict[str, Any], phase: str, now: datetime) -> Window:
    """Which ways a replacement can go at ``now``: email until ``replacement_cutoff``, post until ``postal_cutoff``."""
    closed = phase not in REPLACEABLE_PHASES or not _before(timetable, "closes_at", now)
    return Window(
        email=not closed and _before(timetable, "replacement_cutoff", now),
        post=not closed and _before(timetable, "postal_cutoff", now),
        replacement_cutoff=timetable.get("replacement_cutoff"),
        postal_cutoff=timetable.get("postal_cutoff"),
        closed=closed,
    )


def ballot_window(session: Session, ballot_id: int, now: datetime) -> Window:
    ballot = ballots.get(session, ballot_id)
    return window(dict(ballot.timetable), ballot.phase, now)


def accept_request(
    session: Session, ballot_id: int, number: str, email: str, postcode: str, now: datetime
) -> dict[str, Any]:
    """The ballot's window; a request while a way is open goes to the outbox, matched later."""
    shown = ballot_window(session, ballot_id, now)
    if shown.email or shown.post:
        emit(
            session,
            "replacement.requested",
            {
                "ballot_id": ballot_id,
                "membership_number": number,
                "email": email,
                "postcode": postcode,
                "requested_at": now.isoformat(),
            },
            correlation_id=ballot_id,
        )
    return shown.as_dict()


def contact_matches(member: Member, email: str, postcode: str) -> bool:
    """Whether the email or the postcode given is the one the party holds (neither empty)."""
    if email.strip() and member.email and email.strip().casefold() == member.email.casefold():
        return True
    return bool(postcode.strip() and member.postcode) and (
        normalise_postcode(postcode) == member.postcode
    )


def preferred_channels(member: Member, state: str) -> list[str]:
    """The ways a new code can reach the member, best first: as their code last went.

    A code emailed goes by email again; one posted, or an email that failed,
    by letter. The other way follows if the party holds that contact.
    """
    first = "email" if state == "code_emailed" else "post"
    order = [first, "post" if first == "email" else "email"]
    held = {"email": bool(member.email), "post": bool(contacts.address(member))}
    return [c for c in order if held[c]]


def _refusal(state: str) -> tuple[str, str]:
    """(outcome, words) for a member in ``state``, which holds no code to replace."""
    if state == "voted":
        return "voted", "has voted"
    if state == "awaiting_code":
        return "in_flight", "a new code is already on its way"
    return "no_code", f"holds no code to replace ({STATES.get(state, state)})"


def _closed_words(shown: Window | None) -> str:
    """Why no way the member can be reached is open."""
    if shown is None or shown.closed:
        return "voting has closed"
    return "the cut-off for each way the party can reach the member has passed"


@dataclass(frozen=True)
class Asked:
    """Who asked for a replacement and how far the cut-offs bind them."""

    source: str  # member | officer | operator
    actor: str
    reason: str
    at: datetime
    #: Where the request came from, for the audit log: ``gateway`` or ``cli``.
    via: str = "gateway"


def _record(
    session: Session,
    ballot_id: int,
    number: str,
    member: Member | None,
    asked: Asked,
    outcome: str,
    channel: str = "",
    why: str = "",
) -> None:
    """The ``replacements`` row and the audit entry: who asked, what came of it; no contact typed."""
    session.add(
        Replacement(
            ballot_id=ballot_id,
            membership_number=number,
            association=member.association if member else "",
            source=asked.source,
            actor=asked.actor,
            outcome=outcome,
            channel=channel,
            reason=why or asked.reason,
            requested_at=asked.at,
        )
    )
    audit.append(
        session,
        actor=asked.actor,
        source=asked.via,
        action="member.replacement_requested",
        subject=f"ballot:{ballot_id}/member:{number}",
        details={"by": asked.source, "outcome": outcome, "channel": channel},
        reason=why or asked.reason,
        at=datetime.now(UTC),
    )
    test = ballots.is_test_ballot(session, ballot_id)
    metrics.count(metrics.REPLACEMENTS, asked.source, outcome, test=test)


def _reissue(
    session: Session, ballot_id: int, member: Member, channel: str, fact: str, asked: Asked
) -> bool:
    """Move the member to ``awaiting_code`` and ask codes for a new code by ``channel``."""
    how = "by email" if channel == "email" else "by post"
    who = "the member" if asked.source == "member" else f"{asked.actor} ({asked.source})"
    reason = f"{STATES['awaiting_code']}: a replacement asked for by {who}, {how}"
    recorded = ledger_writer.record(
        session,
        ballot_id,
        [(member.membership_number, fact, reason)],
        source="registration",
        actor=asked.actor,
    )
    if not recorded.moved:
        return False
    voter = contacts.voter(member)
    if channel == "post":
        voter["email"] = ""
    emit(
        session,
        "voters.reissue_requested",
        {"ballot_id": ballot_id, "voter": voter, "source": asked.source},
        correlation_id=ballot_id,
    )
    return True


def _member_and_state(session: Session, ballot_id: int, number: str) -> tuple[Member | None, str]:
    member = session.scalar(
        select(Member)
        .where(Member.ballot_id == ballot_id, Member.membership_number == number)
        .with_for_update()
    )
    entry = session.get(LedgerEntry, (ballot_id, number)) if member else None
    return member, entry.state if entry else "unaccounted"


def apply_request(session: Session, payload: dict[str, Any]) -> str:
    """Decide a member's own request (see the module); return the outcome recorded."""
    ballot_id, number = payload["ballot_id"], payload["membership_number"]
    at = datetime.fromisoformat(payload["requested_at"])
    asked = Asked("member", "member", "asked through the gateway", at)
    member, state = _member_and_state(session, ballot_id, number)
    if member is None or not contact_matches(member, payload["email"], payload["postcode"]):
        why = "no member with this number" if member is None else "the contact did not match"
        _record(session, ballot_id, number, member, asked, "not_matched", why=why)
        return "not_matched"
    if state not in HOLDS_CODE:
        outcome, why = _refusal(state)
        _record(session, ballot_id, number, member, asked, outcome, why=why)
        return outcome
    ballot = session.get(Ballot, ballot_id)
    shown = window(dict(ballot.timetable), ballot.phase, at) if ballot else None
    channels = [c for c in preferred_channels(member, state) if shown and shown.open(c)]
    if not channels:
        _record(session, ballot_id, number, member, asked, "cut_off", why=_closed_words(shown))
        return "cut_off"
    _reissue(session, ballot_id, member, channels[0], "replacement_requested", asked)
    _record(session, ballot_id, number, member, asked, "reissued", channels[0])
    return "reissued"


def reissue(
    session: Session,
    ballot_id: int,
    number: str,
    *,
    source: str,
    actor: str,
    reason: str,
    channel: str | None = None,
    via: str = "cli",
    now: datetime | None = None,
) -> dict[str, Any] | ReissueRefused:
    """An officer's or operator's reissue for one member, or the refusal (recorded) to raise."""
    now = now or datetime.now(UTC)
    asked = Asked(source, actor, reason, now, via)
    ballot = ballots.get(session, ballot_id)
    member, state = _member_and_state(session, ballot_id, number)
    if member is None:
        raise MemberNotFound(f"member {number} is not on ballot {ballot_id}")
    shown = window(dict(ballot.timetable), ballot.phase, now)
    problem = ""
    if shown.closed:
        problem = "voting has closed"
    elif state not in (*HOLDS_CODE, "awaiting_code"):
        problem = _refusal(state)[1]
    options = preferred_channels(member, state)
    if channel is not None and channel not in options:
        held = "email address" if channel == "email" else "postal address"
        problem = problem or f"the party holds no {held} for this member"
    chosen = channel or (options[0] if options else "")
    if not problem and not chosen:
        problem = "the party holds no email or postal address for this member"
    if not problem and chosen == "post" and not shown.post:
        problem = (
            f"the postal cut-off ({shown.postal_cutoff}) has passed: a letter would arrive "
            "too late"
            + ("; reissue by email instead" if "email" in options and channel is None else "")
        )
    if problem:
        _record(session, ballot_id, number, member, asked, "refused", why=problem)
        return ReissueRefused(f"cannot reissue the code of member {number}: {problem}")
    _reissue(session, ballot_id, member, chosen, "resend", asked)
    _record(session, ballot_id, number, member, asked, "reissued", chosen)
    return {
        "ballot_id": ballot_id,
        "membership_number": number,
        "status": "reissued",
        "channel": chosen,
        "state": "awaiting_code",
    }


def summary(session: Session, ballot_id: int, association: str | None = None) -> dict[str, Any]:
    """How many replacements were asked for, by whom and with what outcome (for reconcile)."""
    query = (
        select(Replacement.source, Replacement.outcome, func.count())
        .where(Replacement.ballot_id == ballot_id)
        .group_by(Replacement.source, Replacement.outcome)
    )
    if association:
        query = query.where(Replacement.association == association)
    by: dict[str, dict[str, int]] = {}
    for source, outcome, n in session.execute(query):
        by.setdefault(source, {})[outcome] = n
    reissued = sum(outcomes.get("reissued", 0) for outcomes in by.values())
    return {"reissued": reissued, "by_source": by}


def utcnow() -> datetime:
    return datetime.now(UTC)


def counts_by_member(session: Session, ballot_id: int) -> dict[str, int]:
    """How many new codes each member of the ballot was sent as a replacement or reissue."""
    rows = session.execute(
        select(Replacement.membership_number, func.count())
        .where(Replacement.ballot_id == ballot_id, Replacement.outcome == "reissued")
        .group_by(Replacement.membership_number)
    )
    return {number: n for number, n in rows}
