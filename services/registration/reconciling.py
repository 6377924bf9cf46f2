"""Reconciling: the proof that nobody was dropped.

``reconcile`` reports each extract's conservation equation
(``extracts.summary``), the count in every ledger state (per association
too), the members in flight, and the members unaccounted for (accepted but in
no known ledger state), listed, and the members not reached (eligible, but
no code could be delivered by email or post), listed per association with
the reason. A ballot balances when every extract does and
every accepted member is in exactly one known state. A whole-ballot report
also sets the members-by-state and unaccounted gauges the alerts watch.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollcall import metrics
from services.registration import ballots, replacing
from services.registration import extracts as extract_files
from services.registration.errors import BallotNotFound
from services.registration.ledger import IN_FLIGHT, NOT_REACHED, STATES
from services.registration.models import Ballot, Extract, LedgerEntry, Member

UNACCOUNTED_LIST_LIMIT = 1000
#: What the report shows of each extract's summary.
EXTRACT_FIELDS = (
    "extract_id",
    "status",
    "refusal",
    "declared",
    "accepted",
    "rejected",
    "duplicates",
    "corrected",
    "balanced",
)


def reconcile(session: Session, ballot_id: int, association: str | None = None) -> dict[str, Any]:
    """The conservation report of a ballot (optionally of one association)."""
    ballot = session.get(Ballot, ballot_id)
    if ballot is None:
        raise BallotNotFound(f"ballot {ballot_id} does not exist")
    extracts = session.scalars(
        select(Extract).where(Extract.ballot_id == ballot_id).order_by(Extract.created_at)
    ).all()
    ledger_q = select(LedgerEntry.state, func.count()).where(LedgerEntry.ballot_id == ballot_id)
    member_q = select(func.count()).select_from(Member).where(Member.ballot_id == ballot_id)
    missing_q = (
        select(Member.membership_number, Member.association)
        .outerjoin(
            LedgerEntry,
            (LedgerEntry.ballot_id == Member.ballot_id)
            & (LedgerEntry.membership_number == Member.membership_number),
        )
        .where(Member.ballot_id == ballot_id)
        .where((LedgerEntry.state.is_(None)) | (LedgerEntry.state.not_in(list(STATES))))
    )
    not_reached_q = (
        select(LedgerEntry.membership_number, LedgerEntry.association, LedgerEntry.reason)
        .where(LedgerEntry.ballot_id == ballot_id, LedgerEntry.state.in_(NOT_REACHED))
        .order_by(LedgerEntry.association, LedgerEntry.membership_number)
    )
    if association:
        not_reached_q = not_reached_q.where(LedgerEntry.association == association)
        ledger_q = ledger_q.where(LedgerEntry.association == association)
        member_q = member_q.where(Member.association == association)
        missing_q = missing_q.where(Member.association == association)
    states = {state: 0 for state in STATES}
    for state, n in session.execute(ledger_q.group_by(LedgerEntry.state)):
        states[state] = states.get(state, 0) + n
    accepted = session.execute(member_q).scalar_one()
    missing = session.execute(missing_q.order_by(Member.membership_number)).all()
    by_association: dict[str, dict[str, int]] = {}
    if not association:
        rows = session.execute(
            select(LedgerEntry.association, LedgerEntry.state, func.count())
            .where(LedgerEntry.ballot_id == ballot_id)
            .group_by(LedgerEntry.association, LedgerEntry.state)
        )
        for assoc, state, n in rows:
            by_association.setdefault(assoc, {})[state] = n
    not_reached = session.execute(not_reached_q.limit(UNACCOUNTED_LIST_LIMIT + 1)).all()
    in_flight = sum(states[s] for s in IN_FLIGHT)
    known = sum(n for s, n in states.items() if s in STATES)
    shown = [extract_files.summary(e) for e in extracts]
    report = {
        "ballot_id": ballot_id,
        "phase": ballot.phase,
        "association": association,
        "extracts": [{f: s[f] for f in EXTRACT_FIELDS} for s in shown],
        "accepted": accepted,
        "ledger": states,
        "state_meanings": dict(STATES),
        "by_association": by_association,
        "in_ledger": known,
        "in_flight": in_flight,
        "unaccounted": len(missing),
        "unaccounted_members": [
            {"membership_number": n, "association": a} for n, a in missing[:UNACCOUNTED_LIST_LIMIT]
        ],
        "unaccounted_list_truncated": len(missing) > UNACCOUNTED_LIST_LIMIT,
        "not_reached": sum(states[s] for s in NOT_REACHED),
        "not_reached_members": [
            {"membership_number": n, "association": a, "reason": r}
            for n, a, r in not_reached[:UNACCOUNTED_LIST_LIMIT]
        ],
        "not_reached_list_truncated": len(not_reached) > UNACCOUNTED_LIST_LIMIT,
        "replacements": replacing.summary(session, ballot_id, association),
        "balanced": all(s["balanced"] for s in shown) and accepted == known and not missing,
    }
    # A test ballot's members stay out of the gauges: dashboards and alerts watch real ballots.
    if not association and not ballots.is_test(ballot):
        for state, n in states.items():
            metrics.MEMBERS_BY_STATE.labels(str(ballot_id), state).set(n)
        metrics.UNACCOUNTED.labels(str(ballot_id)).set(len(missing))
    return report
