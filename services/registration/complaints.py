"""Complaints about a ballot: a case with a state, evidence and a deadline.

A case moves open -> investigating -> upheld | dismissed (``MOVES``), gathers
appended evidence, and has a deadline. Text that may name people is audited
as a keyed hash; the case itself is shown to scrutineers and operators.
``overdue`` lists open cases past their deadline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall import audit
from services.registration import ballots
from services.registration.errors import CaseError
from services.registration.models import Complaint, Evidence

MOVES = {
    "open": ("investigating", "dismissed"),
    "investigating": ("upheld", "dismissed"),
    "upheld": (),
    "dismissed": (),
}


def _view(c: Complaint, evidence: list[Evidence] | None = None) -> dict[str, Any]:
    view = {
        "complaint_id": c.id,
        "ballot_id": c.ballot_id,
        "subject": c.subject,
        "status": c.status,
        "opened_by": c.opened_by,
        "deadline": c.deadline.isoformat(),
        "outcome": c.outcome,
    }
    if evidence is not None:
        view["evidence"] = [
            {"added_by": e.added_by, "text": e.text, "added_at": e.added_at.isoformat()}
            for e in evidence
        ]
    return view


def _audit(
    session: Session,
    c: Complaint,
    actor: str,
    action: str,
    details: dict[str, Any],
    now: datetime,
) -> None:
    audit.append(
        session,
        actor=actor,
        source="registration",
        action=action,
        subject=f"ballot:{c.ballot_id}/complaint:{c.id}",
        details=details,
        at=now,
    )


def open_complaint(
    session: Session,
    ballot_id: int,
    subject: str,
    actor: str,
    days: int,
    key: bytes,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    ballots.get(session, ballot_id)
    c = Complaint(
        ballot_id=ballot_id,
        subject=subject,
        status="open",
        opened_by=actor,
        deadline=now + timedelta(days=days),
        outcome="",
        created_at=now,
        updated_at=now,
    )
    session.add(c)
    session.flush()
    _audit(
        session,
        c,
        actor,
        "complaint.opened",
        {"subject": audit.personal(subject, key), "deadline": c.deadline.isoformat()},
        now,
    )
    return _view(c, [])


def add_evidence(
    session: Session, complaint_id: int, text: str, actor: str, key: bytes
) -> dict[str, Any]:
    now = datetime.now(UTC)
    c = _get(session, complaint_id)
    if c.status in ("upheld", "dismissed"):
        raise CaseError(f"complaint {complaint_id} is {c.status}; no more evidence can be added")
    session.add(Evidence(complaint_id=c.id, added_by=actor, text=text, added_at=now))
    c.updated_at = now
    _audit(session, c, actor, "complaint.evidence_added", {"text": audit.personal(text, key)}, now)
    return get_complaint(session, complaint_id)


def move_complaint(
    session: Session, complaint_id: int, status: str, actor: str, outcome: str, key: bytes
) -> dict[str, Any]:
    now = datetime.now(UTC)
    c = _get(session, complaint_id)
    if status not in MOVES.get(c.status, ()):
        raise CaseError(f"a complaint that is {c.status} cannot become {status}")
    before = c.status
    c.status, c.outcome, c.updated_at = status, outcome, now
    _audit(
        session,
        c,
        actor,
        "complaint.moved",
        {"from": before, "to": status, "outcome": audit.personal(outcome, key) if outcome else ""},
        now,
    )
    return get_complaint(session, complaint_id)


def _get(session: Session, complaint_id: int) -> Complaint:
    c = session.get(Complaint, complaint_id, with_for_update=True)
    if c is None:
        raise CaseError(f"complaint {complaint_id} does not exist")
    return c


def get_complaint(session: Session, complaint_id: int) -> dict[str, Any]:
    c = _get(session, complaint_id)
    evidence = list(
        session.scalars(select(Evidence).where(Evidence.complaint_id == c.id).order_by(Evidence.id))
    )
    return _view(c, evidence)


def list_complaints(session: Session, ballot_id: int) -> list[dict[str, Any]]:
    return [
        _view(c)
        for c in session.scalars(
            select(Complaint).where(Complaint.ballot_id == ballot_id).order_by(Complaint.id)
        )
    ]


def overdue(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(UTC)
    rows = session.scalars(
        select(Complaint).where(
            Complaint.status.in_(["open", "investigating"]), Complaint.deadline < now
        )
    )
    return [_view(c) for c in rows]
