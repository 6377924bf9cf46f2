"""Receiving a membership extract: begin, chunks of rows, finish.

Each function runs inside the caller's transaction. Guarantees:

- An extract belongs to one ballot: the same id in another ballot is refused,
  and beginning an extract already received by this ballot returns its
  summary (``already_imported``) and stores nothing again. A file refused
  before any row arrived and refused again keeps one record, with the latest
  reason.
- Every record received is stored exactly once as an accepted member or a
  dropped row (``DroppedRow``): rejected (with its reasons, intake's problems
  first), a duplicate (with where it was first seen) or a conflict (a
  duplicate whose data differs, with the differing fields), so
  ``received = accepted + rejected + duplicates`` always holds. Each dropped
  row keeps its values as received, its extra columns and its raw text.
- A chunk is idempotent: sending chunk *n* of an extract twice changes nothing
  the second time.
- Each chunk's accepted members are admitted (``admission``): each gets a
  ledger state and those eligible go to matching, in the same transaction.
- ``finish`` refuses to complete an extract whose declared row count differs
  from what arrived, or that misses chunks; the extract stays on record, with
  the refusal, for review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollcall import metrics
from services.registration import admission, associations, ballots
from services.registration import rows as rowrules
from services.registration.errors import BallotNotFound, ExtractNotFound, ExtractRefused
from services.registration.models import Ballot, DroppedRow, Extract, ExtractChunk, Member


@dataclass(frozen=True)
class Received:
    """One record as the reader sent it."""

    line: int
    values: dict[str, str]
    extra: dict[str, str]
    raw: str
    problems: list[str]


def received(
    header: Sequence[str], record: Sequence[str] | Mapping[str, Any], line: int
) -> Received:
    """A record in either wire form: a dict from intake (line, values in the format's order,
    extra, raw, problems), or a plain list of values in ``header``'s order."""
    if isinstance(record, Mapping):
        return Received(
            line=int(record["line"]),
            values=dict(zip(rowrules.FIELDS, record["values"], strict=False)),
            extra=dict(record.get("extra") or {}),
            raw=str(record.get("raw") or ""),
            problems=list(record.get("problems") or []),
        )
    values, problems = rowrules.from_list(header, record)
    return Received(line, values, {}, ",".join(record), problems)


def begin(
    session: Session,
    *,
    ballot_id: int,
    extract_id: str,
    source: str,
    file_name: str,
    header: list[str],
    declared_rows: int | None,
    sha256: str,
    refusal: str = "",
    read_as: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Open an extract for rows, or record it as refused with ``refusal``."""
    if session.get(Ballot, ballot_id) is None:
        raise BallotNotFound(f"ballot {ballot_id} does not exist")
    existing = session.get(Extract, extract_id)
    if existing is not None:
        if existing.ballot_id != ballot_id:
            raise ExtractRefused(
                f"extract {extract_id} belongs to ballot {existing.ballot_id}: "
                f"give it another id to import it into ballot {ballot_id}"
            )
        if existing.status == "refused" and refusal and not existing.received_rows:
            existing.refusal = refusal  # the same file refused again: the latest reason stands
            return summary(existing)
        if existing.status == "refused":
            raise ExtractRefused(f"extract {extract_id} was refused: {existing.refusal}")
        return {**summary(existing), "already_imported": True}
    extract = Extract(
        id=extract_id,
        ballot_id=ballot_id,
        source=source,
        file_name=file_name,
        header=list(header),
        declared_rows=declared_rows,
        sha256=sha256,
        status="refused" if refusal else "receiving",
        refusal=refusal,
        received_rows=0,
        accepted=0,
        rejected=0,
        duplicates=0,
        corrected=0,
        read_as=dict(read_as or {}),
        created_at=datetime.now(UTC),
    )
    session.add(extract)
    return summary(extract)


def _dropped(extract: Extract, row: Received, kind: str, **fields: Any) -> DroppedRow:
    return DroppedRow(
        ballot_id=extract.ballot_id,
        extract_id=extract.id,
        line_no=row.line,
        kind=kind,
        status="open",
        membership_number=row.values.get("membership_number", "").strip(),
        association_as_given=row.values.get("association", ""),
        row=row.values,
        extra=row.extra,
        raw=row.raw,
        **{"reasons": [], "differs": [], "first_seen": None, **fields},
    )


def add_chunk(
    session: Session,
    *,
    extract_id: str,
    chunk: int,
    first_line: int,
    records: Sequence[Sequence[str] | Mapping[str, Any]],
) -> dict[str, Any]:
    """Store one chunk of records; a chunk already stored is not stored again."""
    extract = session.get(Extract, extract_id, with_for_update=True)
    if extract is None:
        raise ExtractNotFound(f"extract {extract_id} does not exist")
    if extract.status != "receiving":
        raise ExtractRefused(f"extract {extract_id} is {extract.status}, not receiving rows")
    if session.get(ExtractChunk, (extract_id, chunk)) is not None:
        return {"chunk": chunk, "duplicate_chunk": True, **summary(extract)}
    ballot = session.get(Ballot, extract.ballot_id)
    assert ballot is not None
    known = associations.directory(session)
    firsts: dict[str, tuple[int, dict[str, str]]] = {}
    accepted: list[tuple[Received, rowrules.MemberRow]] = []
    now = datetime.now(UTC)
    rejected = duplicates = 0
    for offset, record in enumerate(records):
        row = received(extract.header, record, first_line + offset)
        result = rowrules.validate_row(row.values, row.problems, known)
        if isinstance(result, list):
            code = known.resolve(row.values.get("association", "")).code
            session.add(_dropped(extract, row, "rejected", reasons=result, association=code))
            rejected += 1
            continue
        number = result.membership_number
        if number in firsts:
            line, first = firsts[number]
            session.add(_duplicate(extract, row, result, f"{extract_id} line {line}", first))
            duplicates += 1
            continue
        firsts[number] = (row.line, result.as_dict())
        accepted.append((row, result))
    earlier = (
        {
            m.membership_number: m
            for m in session.scalars(
                select(Member).where(
                    Member.ballot_id == ballot.id, Member.membership_number.in_(firsts)
                )
            )
        }
        if firsts
        else {}
    )
    fresh = []
    for row, member in accepted:
        before = earlier.get(member.membership_number)
        if before is not None:
            where = f"{before.extract_id} line {before.line_no}"
            first = {c: getattr(before, c) for c in rowrules.FIELDS}
            session.add(_duplicate(extract, row, member, where, first))
            duplicates += 1
            continue
        fresh.append((row.line, member.as_dict()))
    freeze = ballots.freeze_at(ballot)
    admission.admit(
        session, ballot, extract_id, chunk, fresh, freeze=freeze.date() if freeze else None, now=now
    )
    session.add(ExtractChunk(extract_id=extract_id, chunk=chunk, rows=len(records)))
    extract.received_rows += len(records)
    extract.accepted += len(fresh)
    extract.rejected += rejected
    extract.duplicates += duplicates
    test = ballots.is_test(ballot)
    metrics.count(metrics.EXTRACT_ROWS, "accepted", amount=len(fresh), test=test)
    metrics.count(metrics.EXTRACT_ROWS, "rejected", amount=rejected, test=test)
    metrics.count(metrics.EXTRACT_ROWS, "duplicate", amount=duplicates, test=test)
    return {"chunk": chunk, "duplicate_chunk": False, **summary(extract)}


def _duplicate(
    extract: Extract,
    row: Received,
    member: rowrules.MemberRow,
    first_seen: str,
    first: Mapping[str, str],
) -> DroppedRow:
    """A duplicate of a member seen first at ``first_seen``: a conflict if their data differ."""
    differs = rowrules.differing(first, member.as_dict())
    return _dropped(
        extract,
        row,
        "conflict" if differs else "duplicate",
        association=member.association,
        first_seen=first_seen,
        differs=differs,
    )


def finish(session: Session, *, extract_id: str, chunks: int) -> dict[str, Any]:
    """Close the extract; refuse it (kept, with the reason) if anything is missing."""
    extract = session.get(Extract, extract_id, with_for_update=True)
    if extract is None:
        raise ExtractNotFound(f"extract {extract_id} does not exist")
    if extract.status != "receiving":
        return summary(extract)
    have = session.execute(
        select(func.count()).select_from(ExtractChunk).where(ExtractChunk.extract_id == extract_id)
    ).scalar_one()
    problems = []
    if have != chunks:
        problems.append(f"{chunks} chunks were sent but {have} arrived")
    if extract.declared_rows is not None and extract.declared_rows != extract.received_rows:
        problems.append(
            f"the manifest declares {extract.declared_rows} rows but {extract.received_rows} arrived"
        )
    if extract.declared_rows is None:
        extract.declared_rows = extract.received_rows
    extract.finished_at = datetime.now(UTC)
    if problems:
        # The rows already received stay, and stay in the ledger: refusing
        # the extract must not drop the members it did bring.
        extract.status = "refused"
        extract.refusal = "; ".join(problems)
    else:
        extract.status = "complete"
    return summary(extract)


def summary(extract: Extract) -> dict[str, Any]:
    """The extract's counts and whether its conservation equation holds."""
    return {
        "extract_id": extract.id,
        "ballot_id": extract.ballot_id,
        "status": extract.status,
        "refusal": extract.refusal,
        "declared": extract.declared_rows,
        "received": extract.received_rows,
        "accepted": extract.accepted,
        "rejected": extract.rejected,
        "duplicates": extract.duplicates,
        "corrected": extract.corrected,
        "file_name": extract.file_name,
        "read_as": dict(extract.read_as or {}),
        "balanced": extract.declared_rows is not None
        and extract.declared_rows == extract.accepted + extract.rejected + extract.duplicates,
    }
