"""An officer's correction of a member's details, which sends the member back through matching.

Guarantees, inside the caller's transaction: only ``CORRECTABLE_FIELDS``
change; the change is audited (``changes``); after the freeze a contact
change waits for a second person (``approvals``), and so, once the ballot has
opened, does a change to a field matching reads (``MATCH_FIELDS``): it can
send the member back through matching and exclude them, so one officer
alone may not. A change matching does not read (a phone number) is made
and nothing more. Otherwise ``ledger_writer`` records ``rematch`` and, if the
member's state allows it, the corrected member goes to matching again. A
state that does not allow it (say, voted) keeps the correction and says so.
``decide`` applies an approved change as the correction would have: a
matched field changed sends the member to matching again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall.formats import CONTACT_FIELDS, CORRECTABLE_FIELDS, MATCH_FIELDS
from services.registration import admission, approvals, ballots, changes, ledger_writer
from services.registration.errors import BallotInvalid, BallotNotFound
from services.registration.ledger import STATES
from services.registration.models import Ballot, Member, PendingChange

#: Phases in which a correction that could change who may vote needs a second person.
VOTING_PHASES = ("open", "paused")


def needs_second_person(ballot: Ballot, fields: dict[str, str], now: datetime) -> bool:
    """A contact change after the freeze, or an eligibility-changing one once voting has begun."""
    if ballots.frozen(ballot, now) and any(f in CONTACT_FIELDS for f in fields):
        return True
    return ballot.phase in VOTING_PHASES and any(f in MATCH_FIELDS for f in fields)


def correct(
    session: Session,
    ballot_id: int,
    number: str,
    fields: dict[str, str],
    actor: str,
    reason: str,
    key: bytes,
) -> dict[str, Any]:
    """Apply an officer's correction (audited) and send the member back through matching."""
    member = session.scalar(
        select(Member)
        .where(Member.ballot_id == ballot_id, Member.membership_number == number)
        .with_for_update()
    )
    if member is None:
        raise BallotNotFound(f"member {number} is not on ballot {ballot_id}")
    ballot = ballots.get(session, ballot_id)
    now = datetime.now(UTC)
    unknown = [f for f in fields if f not in CORRECTABLE_FIELDS]
    if unknown:
        raise BallotInvalid(f"these fields cannot be corrected here: {', '.join(unknown)}")
    by = changes.Author(actor=actor, source="gateway", reason=reason, key=key, now=now)
    if needs_second_person(ballot, fields, now):
        change = approvals.request_change(session, member, fields, by)
        return {"status": "pending_approval", "change_id": change.id}
    changes.apply(session, member, fields, by)
    if not any(f in MATCH_FIELDS for f in fields):
        return {"status": "corrected"}
    if not rematch(session, ballot, member, actor):
        return {"status": "corrected", "note": "the member's state does not allow matching again"}
    return {"status": "sent_to_matching"}


def rematch(session: Session, ballot: Ballot, member: Member, actor: str) -> bool:
    """Send a changed member back through matching if their state allows it (whether it did)."""
    number = member.membership_number
    recorded = ledger_writer.record(
        session, ballot.id, [(number, "rematch", STATES["awaiting_match"])], source=actor
    )
    if not recorded.moved:
        return False
    admission.send_to_matching(
        session,
        ballot,
        member.extract_id,
        0,
        [{f: getattr(member, f) for f in MATCH_FIELDS}],
        correlation_id=ballot.id,
    )
    return True


def decide(
    session: Session, change_id: int, approver: str, approve: bool, key: bytes, reason: str = ""
) -> dict[str, Any] | Exception:
    """Decide a waiting change (``approvals.decide_change``); an approved matched field rematches."""
    decided = approvals.decide_change(session, change_id, approver, approve, key, reason)
    if isinstance(decided, Exception) or decided.get("status") != "approved":
        return decided
    change = session.get(PendingChange, change_id)
    assert change is not None
    if not any(f in MATCH_FIELDS for f in change.changes):
        return decided
    member = session.scalar(
        select(Member).where(
            Member.ballot_id == change.ballot_id,
            Member.membership_number == change.membership_number,
        )
    )
    assert member is not None
    ballot = ballots.get(session, change.ballot_id)
    sent = rematch(session, ballot, member, f"{change.requested_by}+{approver}")
    return {**decided, "sent_to_matching": sent}
