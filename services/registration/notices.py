"""Members excluded for a reason they can fix: the reasons, and the notice that tells them.

Three exclusions are the member's to fix, each with a stable code, the words
the ledger records and the words of the fix (``FIXABLE``): not found on the
electoral register (``not_on_register``), a similar name at or near the
address but details that differ (``address_differs``), and registered outside
the ballot's area (``not_in_area``). Every other exclusion (membership not
current or lapsed, supporters, joining date, dues) is settled by the party's
rules, not by the member and the register, and has no notice.

Guarantees of ``request``, inside the caller's transaction (the one that moves
the ledger):

- nothing is requested once the ballot's roll is frozen (``ballots.frozen``);
- one notice per member, ballot and reason: a reason already requested for a
  member (its audit entry) is not requested again;
- each notice is appended to the audit log (``NOTICE_REQUESTED``, with the
  reason code), counted in ``rollcall_registration_exclusion_notices_total``
  by reason, and emitted in one ``members.exclusion_notice_requested`` event
  with the contact the party holds, the only contact the mailer may use;
- a member with neither an email nor a postal address has nothing to send
  to and gets no notice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall import audit, metrics
from rollcall.messaging.outbox import emit
from services.registration import ballots, contacts
from services.registration.models import Base, Member

#: The audit action of a requested notice.
NOTICE_REQUESTED = "member.exclusion_notice_requested"
REGISTER_URL = "https://www.gov.uk/register-to-vote"


@dataclass(frozen=True)
class Fixable:
    """A reason for exclusion the member can fix: why (as the ledger records it), and how."""

    why: str
    fix: str


FIXABLE: dict[str, Fixable] = {
    "not_on_register": Fixable(
        why="not found on the electoral register at this address",
        fix=(
            "Only people on the electoral register can vote in this ballot. If you are not "
            f"registered, register to vote at {REGISTER_URL}, then ask your association to check "
            "your details again. If you are registered at another address, ask your association "
            "to correct the address it holds for you."
        ),
    ),
    "address_differs": Fixable(
        why=(
            "not found on the electoral register at this address: someone with a similar name "
            "is registered at or near it, but the details differ"
        ),
        fix=(
            "Ask your association to correct your name and address so that they are exactly as "
            "on the electoral register. If the register has an old address for you, register to "
            f"vote at your current one at {REGISTER_URL}."
        ),
    ),
    "not_in_area": Fixable(
        why="registered to vote outside this ballot's area",
        fix=(
            "Only members registered to vote in the ballot's area can vote. If you now live in "
            f"the area, register to vote at your current address at {REGISTER_URL} and ask your "
            "association to correct the address it holds for you."
        ),
    ),
}


@dataclass(frozen=True)
class Exclusion:
    """Why a match decision excludes a member: its reason code and the ledger's words."""

    code: str
    why: str


def exclusion(decision: Mapping[str, Any]) -> Exclusion | None:
    """The fixable exclusion a match decision makes, or None if it does not exclude.

    A match outside the area is ``not_in_area`` (in matching's words, which
    name the ward); a no-match with a scored closest elector (someone of a
    similar name at or near the address) is ``address_differs``; any other
    no-match (no one near, or an officer rejected every candidate) is
    ``not_on_register``.
    """
    if decision["decision"] == "match":
        if decision["eligible"]:
            return None
        return Exclusion("not_in_area", decision.get("exclusion") or FIXABLE["not_in_area"].why)
    if decision["decision"] == "no_match":
        code = "address_differs" if (decision.get("score") or 0) > 0 else "not_on_register"
        return Exclusion(code, FIXABLE[code].why)
    return None


def _requested(session: Session, ballot_id: int, numbers: list[str]) -> set[tuple[str, str]]:
    """(membership number, reason) of every notice already requested for ``numbers``."""
    log = Base.metadata.tables[audit.TABLE_NAME]
    subjects = {_subject(ballot_id, n): n for n in numbers}
    rows = session.execute(
        select(log.c.subject, log.c.details).where(
            log.c.action == NOTICE_REQUESTED, log.c.subject.in_(list(subjects))
        )
    )
    return {(subjects[s], json.loads(d)["reason"]) for s, d in rows}


def _subject(ballot_id: int, number: str) -> str:
    return f"ballot:{ballot_id}/member:{number}"


def request(
    session: Session,
    ballot_id: int,
    excluded: Mapping[str, Exclusion],
    *,
    source: str,
    now: datetime | None = None,
) -> int:
    """Request a notice for each member (number -> exclusion) not yet told; return how many."""
    now = now or datetime.now(UTC)
    if not excluded:
        return 0
    ballot = ballots.get(session, ballot_id)
    if ballots.frozen(ballot, now):
        return 0
    done = _requested(session, ballot_id, list(excluded))
    members = session.scalars(
        select(Member)
        .where(Member.ballot_id == ballot_id, Member.membership_number.in_(list(excluded)))
        .order_by(Member.membership_number)
    ).all()
    notices = []
    for member in members:
        why = excluded[member.membership_number]
        if (member.membership_number, why.code) in done:
            continue
        if not (member.email or contacts.address(member)):
            continue
        notices.append(
            {
                **contacts.voter(member),
                "reason": why.code,
                "why": why.why,
                "fix": FIXABLE[why.code].fix,
            }
        )
    if not notices:
        return 0
    audit.append_many(
        session,
        [
            audit.NewEntry(
                actor=source,
                source="registration",
                action=NOTICE_REQUESTED,
                subject=_subject(ballot_id, n["membership_number"]),
                details={"reason": n["reason"]},
                reason=n["why"],
                at=now,
            )
            for n in notices
        ],
    )
    freeze = ballots.freeze_at(ballot)
    emit(
        session,
        "members.exclusion_notice_requested",
        {
            "ballot_id": ballot_id,
            "fix_by": freeze.isoformat() if freeze else None,
            "notices": notices,
        },
        correlation_id=ballot_id,
    )
    for n in notices:
        metrics.count(metrics.EXCLUSION_NOTICES, n["reason"], test=ballots.is_test(ballot))
    return len(notices)
