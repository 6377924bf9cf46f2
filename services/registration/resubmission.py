"""An officer fixes a dropped row: corrects a rejected row, or decides a conflict.

Guarantees, inside the caller's transaction, each step audited with the actor
and the reason (``dropped_row.*`` in the audit log, values never in clear):

- ``correct_row``: the row's values as received, with the officer's
  corrections over them, are validated like any extract row. Valid, the
  member is admitted exactly as an accepted row is (``admission``: the ledger
  through its one writer, ``members.registered`` to matching), the row
  becomes ``corrected`` and its extract counts it in ``corrected`` (its
  equation still counts it in ``rejected``). Still invalid, nothing changes
  but the audit entry of the attempt, and the reasons are returned.
- ``resolve_conflict``: ``first`` keeps the member's data; ``second`` applies
  the later copy's differing fields as a member-data change (``changes``:
  audited; after the freeze a contact change waits for a second person) and
  sends the member back through matching (``corrections.rematch``). The row
  becomes ``resolved``.
- Only an open row of the right kind can be fixed (``RowNotCorrectable``); a
  row is corrected only before the roll's freeze, while the ballot takes
  members (``PhaseError``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall.formats import CONTACT_FIELDS
from services.registration import (
    admission,
    approvals,
    associations,
    ballots,
    changes,
    corrections,
    dropped,
)
from services.registration import rows as rowrules
from services.registration.errors import BallotInvalid, PhaseError, RowNotCorrectable
from services.registration.models import Ballot, DroppedRow, Extract, Member

ADMITTING_PHASES = ("draft", "open")


def _open_row(session: Session, ballot_id: int, row_id: int, kind: str) -> DroppedRow:
    row = dropped.find(session, ballot_id, row_id, lock=True)
    if row.kind != kind or row.status != "open":
        raise RowNotCorrectable(
            f"row {row_id} is a {row.status} {row.kind} row: only an open {kind} row can be "
            f"{'corrected' if kind == 'rejected' else 'resolved'}"
        )
    return row


def _note(
    session: Session, by: changes.Author, row: DroppedRow, action: str, **details: Any
) -> None:
    audit_details = {"row": row.id, "extract_id": row.extract_id, "line": row.line_no, **details}
    changes.note(
        session, by, action, row.ballot_id, row.membership_number or "?", audit_details, by.reason
    )


def _decided(
    session: Session, row: DroppedRow, status: str, outcome: str, by: changes.Author
) -> dict[str, Any]:
    row.status, row.outcome, row.decided_by, row.decided_at = status, outcome, by.actor, by.now
    session.flush()
    return dropped.get_row(session, row.ballot_id, row.id)


def _admitting(ballot: Ballot, now: datetime) -> None:
    if ballot.phase not in ADMITTING_PHASES or ballots.frozen(ballot, now):
        raise PhaseError(
            f"ballot {ballot.id} is {ballot.phase}"
            f"{' and its roll is frozen' if ballots.frozen(ballot, now) else ''}: "
            "a corrected row can no longer join it"
        )


def correct_row(
    session: Session,
    ballot_id: int,
    row_id: int,
    values: dict[str, str],
    actor: str,
    reason: str,
    key: bytes,
) -> dict[str, Any]:
    """Admit a rejected row with the officer's corrections, or say why it is still rejected."""
    by = changes.Author(
        actor=actor, source="registration", reason=reason, key=key, now=datetime.now(UTC)
    )
    row = _open_row(session, ballot_id, row_id, "rejected")
    ballot = ballots.get(session, ballot_id, lock=True)
    _admitting(ballot, by.now)
    unknown = sorted(set(values) - set(rowrules.FIELDS))
    if unknown:
        raise BallotInvalid(f"these are not extract columns: {', '.join(unknown)}")
    corrected = {**row.row, **values}
    result = rowrules.validate_row(corrected, (), associations.directory(session))
    if not isinstance(result, list):
        taken = session.scalar(
            select(Member.extract_id).where(
                Member.ballot_id == ballot_id, Member.membership_number == result.membership_number
            )
        )
        if taken is not None:
            result = [
                f"member {result.membership_number} is already on this ballot's roll ({taken})"
            ]
    if isinstance(result, list):
        _note(
            session,
            by,
            row,
            "dropped_row.correction_refused",
            fields=sorted(values),
            reasons=result,
        )
        return {"status": "still_rejected", "reasons": result}
    freeze = ballots.freeze_at(ballot)
    admission.admit(
        session,
        ballot,
        row.extract_id,
        0,
        [(row.line_no, result.as_dict())],
        freeze=freeze.date() if freeze else None,
        now=by.now,
    )
    extract = session.get(Extract, row.extract_id, with_for_update=True)
    assert extract is not None
    extract.corrected += 1
    row.membership_number, row.association = result.membership_number, result.association
    outcome = f"accepted as member {result.membership_number}"
    _note(session, by, row, "dropped_row.corrected", fields=sorted(values), outcome=outcome)
    return _decided(session, row, "corrected", outcome, by)


def resolve_conflict(
    session: Session,
    ballot_id: int,
    row_id: int,
    keep: Literal["first", "second"],
    actor: str,
    reason: str,
    key: bytes,
) -> dict[str, Any]:
    """Keep the first copy's data, or replace it with this (second) copy's."""
    if keep not in ("first", "second"):
        raise BallotInvalid(f"keep must be 'first' or 'second', not {keep!r}")
    by = changes.Author(
        actor=actor, source="registration", reason=reason, key=key, now=datetime.now(UTC)
    )
    row = _open_row(session, ballot_id, row_id, "conflict")
    if keep == "first":
        outcome = f"kept the first copy ({row.first_seen})"
        _note(session, by, row, "dropped_row.resolved", keep=keep, outcome=outcome)
        return _decided(session, row, "resolved", outcome, by)
    member = session.scalar(
        select(Member)
        .where(Member.ballot_id == ballot_id, Member.membership_number == row.membership_number)
        .with_for_update()
    )
    second = rowrules.validate_row(row.row, (), associations.directory(session))
    if member is None or isinstance(second, list):
        why = "the member is no longer on the roll" if member is None else "; ".join(second)
        raise RowNotCorrectable(f"row {row_id} cannot replace the member's data: {why}")
    ballot = ballots.get(session, ballot_id)
    fields = {
        f: v
        for f, v in second.as_dict().items()
        if f != "membership_number" and getattr(member, f) != v
    }
    held = {
        f: v for f, v in fields.items() if f in CONTACT_FIELDS and ballots.frozen(ballot, by.now)
    }
    free = {f: v for f, v in fields.items() if f not in held}
    outcome = f"replaced member {member.membership_number}'s {', '.join(sorted(fields)) or 'nothing'} with this row's"
    if free:
        changes.apply(session, member, free, by)
        corrections.rematch(session, ballot, member, actor)
    if held:
        change = approvals.request_change(session, member, held, by)
        outcome += f" (contact change {change.id} waits for a second person)"
    _note(
        session, by, row, "dropped_row.resolved", keep=keep, fields=sorted(fields), outcome=outcome
    )
    return _decided(session, row, "resolved", outcome, by)
