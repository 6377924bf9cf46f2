"""Pausing a ballot mid-flight, and resuming it with two people.

An operator pauses an open ballot (codes stop working, mail is held, the
tally takes no papers). Resuming needs two people: one asks, a different one
approves; a refused approval is audited. Every step is in the audit log and
visible to scrutineers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from rollcall import audit
from services.registration import approvals, ballots
from services.registration.errors import PhaseError, SamePerson


def pause(session: Session, ballot_id: int, actor: str, reason: str) -> dict[str, Any]:
    if not reason:
        raise PhaseError("say why the ballot is paused")
    return ballots.change_phase(session, ballot_id, "paused", actor, reason)


def request_resume(session: Session, ballot_id: int, actor: str, reason: str) -> dict[str, Any]:
    ballot = ballots.get(session, ballot_id, lock=True)
    if ballot.phase != "paused":
        raise PhaseError(f"ballot {ballot_id} is {ballot.phase}, not paused")
    ballot.resume_requested_by = actor
    audit.append(
        session,
        actor=actor,
        source="registration",
        action="ballot.resume_requested",
        subject=f"ballot:{ballot_id}",
        details={},
        reason=reason,
        at=datetime.now(UTC),
    )
    return {"ballot_id": ballot_id, "resume_requested_by": actor}


def approve_resume(
    session: Session, ballot_id: int, approver: str, reason: str
) -> dict[str, Any] | SamePerson:
    ballot = ballots.get(session, ballot_id, lock=True)
    if ballot.phase != "paused" or not ballot.resume_requested_by:
        raise PhaseError(f"ballot {ballot_id} has no resume waiting for approval")
    refusal = approvals.second_person_refusal(
        session,
        approver=approver,
        requester=ballot.resume_requested_by,
        action="ballot.resume_refused",
        subject=f"ballot:{ballot_id}",
        details={},
        source="registration",
        asked="to resume",
        what="resuming the ballot",
        now=datetime.now(UTC),
    )
    if refusal is not None:
        return refusal
    requester = ballot.resume_requested_by
    ballot.resume_requested_by = None
    return ballots.change_phase(
        session, ballot_id, "open", requester, reason, second_person=approver
    )


def history(session: Session, ballot_id: int) -> list[dict[str, Any]]:
    """Every pause of the ballot with its outcome, read back from the audit log.

    Each pause: when and by whom, why, who asked to resume, how many
    approvals were refused (the same person), and how it ended: ``resumed``
    (with the approver), ``closed`` while paused, or ``still paused``.
    """
    ballots.get(session, ballot_id)
    table = audit.audit_table(MetaData())
    rows = session.execute(
        select(table)
        .where(table.c.subject == f"ballot:{ballot_id}", table.c.action.in_(_PAUSE_ACTIONS))
        .order_by(table.c.seq)
    )
    pauses: list[dict[str, Any]] = []
    for entry in map(audit.as_entry, rows):
        details = entry.details_dict()
        if entry.action == "ballot.paused":
            pauses.append(
                {
                    "paused_at": entry.at,
                    "paused_by": entry.actor,
                    "reason": entry.reason,
                    "resume_requested_by": None,
                    "refused_approvals": 0,
                    "outcome": "still paused",
                    "ended_at": None,
                    "approved_by": None,
                }
            )
            continue
        if not pauses or details.get("from", "paused") != "paused":
            continue
        current = pauses[-1]
        if entry.action == "ballot.resume_requested":
            current["resume_requested_by"] = entry.actor
        elif entry.action == "ballot.resume_refused":
            current["refused_approvals"] += 1
        elif current["ended_at"] is None:
            current["outcome"] = "resumed" if entry.action == "ballot.open" else "closed"
            current["ended_at"] = entry.at
            current["approved_by"] = details.get("second_person")
    return pauses


_PAUSE_ACTIONS = (
    "ballot.paused",
    "ballot.resume_requested",
    "ballot.resume_refused",
    "ballot.open",
    "ballot.closed",
)
