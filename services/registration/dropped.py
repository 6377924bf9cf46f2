"""What officers, operators and scrutineers see of an extract's dropped rows.

A dropped row is a rejected row, a duplicate or a conflict (``DroppedRow``).
``list_rows`` and ``get_row`` give each with its line, its values as
received, its extra columns and every reason in plain words; scoped to an
association, a row shows only to the association it resolved to (a row whose
association is unknown shows to operators only). ``count_rows`` gives the
counts by association with no personal data, for scrutineers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.registration.errors import DroppedRowNotFound
from services.registration.models import DroppedRow, Extract

KINDS = ("rejected", "duplicate", "conflict")
STATUSES = ("open", "corrected", "resolved")


def shown(row: DroppedRow, file_name: str) -> dict[str, Any]:
    """A dropped row as the RPC contract gives it."""
    return {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "extract_id": row.extract_id,
        "file_name": file_name,
        "line": row.line_no,
        "association": row.association,
        "association_as_given": row.association_as_given,
        "membership_number": row.membership_number,
        "row": dict(row.row),
        "extra": dict(row.extra),
        "reasons": list(row.reasons),
        "first_seen": row.first_seen,
        "differs": list(row.differs),
        "outcome": row.outcome,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }


def list_rows(
    session: Session,
    ballot_id: int,
    association: str | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    query = (
        select(DroppedRow, Extract.file_name)
        .join(Extract, Extract.id == DroppedRow.extract_id)
        .where(DroppedRow.ballot_id == ballot_id)
        .order_by(DroppedRow.extract_id, DroppedRow.line_no, DroppedRow.id)
    )
    if association is not None:
        query = query.where(DroppedRow.association == association)
    if kind is not None:
        query = query.where(DroppedRow.kind == kind)
    if status is not None:
        query = query.where(DroppedRow.status == status)
    return [shown(row, file_name) for row, file_name in session.execute(query)]


def find(session: Session, ballot_id: int, row_id: int, *, lock: bool = False) -> DroppedRow:
    query = select(DroppedRow).where(DroppedRow.id == row_id, DroppedRow.ballot_id == ballot_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise DroppedRowNotFound(f"ballot {ballot_id} has no dropped row {row_id}")
    return row


def get_row(session: Session, ballot_id: int, row_id: int) -> dict[str, Any]:
    row = find(session, ballot_id, row_id)
    extract = session.get(Extract, row.extract_id)
    return shown(row, extract.file_name if extract else "")


def count_rows(session: Session, ballot_id: int) -> dict[str, Any]:
    """Per association and in all: rejected, duplicate, conflict, corrected, resolved."""
    by_association: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys((*KINDS, "corrected", "resolved"), 0)
    for association, kind, status, n in session.execute(
        select(DroppedRow.association, DroppedRow.kind, DroppedRow.status, func.count())
        .where(DroppedRow.ballot_id == ballot_id)
        .group_by(DroppedRow.association, DroppedRow.kind, DroppedRow.status)
    ):
        counts = by_association.setdefault(association, dict.fromkeys(totals, 0))
        for key in {kind, status} & set(totals):
            counts[key] += n
            totals[key] += n
    return {"by_association": by_association, "totals": totals}
