"""Receiving a membership extract: begin, chunks of rows, finish.

Each function runs inside the caller's transaction. Guarantees:

- Every record received is stored exactly once as an accepted member, a
  rejected row (with its reasons) or a duplicate (with where it was first
  seen), so ``received = accepted + rejected + duplicates`` always holds.
- A chunk is idempotent: sending chunk *n* of an extract twice changes nothing
  the second time.
- Each chunk's accepted members are admitted (``admission``): each gets a
  ledger state and those eligible go to matching, in the same transaction.
- ``finish`` refuses to complete an extract whose declared row count differs
  from what arrived, or that misses chunks; the extract stays on record, with
  the refusal, for review.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollcall import metrics
from rollcall.formats import EXTRACT_COLUMNS
from services.registration import admission, ballots
from services.registration import rows as rowrules
from services.registration.errors import BallotNotFound, ExtractNotFound, ExtractRefused
from services.registration.models import (
    Ballot,
    DuplicateRow,
    Extract,
    ExtractChunk,
    Member,
    RejectedRow,
)


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
) -> dict[str, Any]:
    """Open an extract for rows, or record it as refused with ``refusal``."""
    if session.get(Ballot, ballot_id) is None:
        raise BallotNotFound(f"ballot {ballot_id} does not exist")
    existing = session.get(Extract, extract_id)
    if existing is not None:
        if existing.status == "refused":
            raise ExtractRefused(f"extract {extract_id} was refused: {existing.refusal}")
        return summary(existing)
    problems = rowrules.check_header(header)
    if refusal:
        problems.insert(0, refusal)
    extract = Extract(
        id=extract_id,
        ballot_id=ballot_id,
        source=source,
        file_name=file_name,
        header=[h.strip().lower() for h in header],
        declared_rows=declared_rows,
        sha256=sha256,
        status="refused" if problems else "receiving",
        refusal="; ".join(problems),
        received_rows=0,
        accepted=0,
        rejected=0,
        duplicates=0,
        created_at=datetime.now(UTC),
    )
    session.add(extract)
    return summary(extract)


def add_chunk(
    session: Session,
    *,
    extract_id: str,
    chunk: int,
    first_line: int,
    records: list[list[str]],
    chunk_size_hint: int = 0,
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
    numbers = set()
    accepted: list[rowrules.MemberRow] = []
    lines: dict[str, int] = {}
    now = datetime.now(UTC)
    rejected = duplicates = 0
    for offset, record in enumerate(records):
        line_no = first_line + offset
        result = rowrules.validate_row(extract.header, record)
        if isinstance(result, list):
            session.add(
                RejectedRow(extract_id=extract_id, line_no=line_no, record=record, reasons=result)
            )
            rejected += 1
            continue
        if result.membership_number in numbers:
            session.add(
                DuplicateRow(
                    extract_id=extract_id,
                    line_no=line_no,
                    membership_number=result.membership_number,
                    record=record,
                    first_seen=f"{extract_id} line {lines[result.membership_number]}",
                )
            )
            duplicates += 1
            continue
        numbers.add(result.membership_number)
        lines[result.membership_number] = line_no
        accepted.append(result)
    if numbers:
        earlier = session.execute(
            select(Member.membership_number, Member.extract_id, Member.line_no).where(
                Member.ballot_id == ballot.id, Member.membership_number.in_(numbers)
            )
        ).all()
        seen_before = {n: f"{e} line {ln}" for n, e, ln in earlier}
    else:
        seen_before = {}
    fresh = []
    for member in accepted:
        if member.membership_number in seen_before:
            session.add(
                DuplicateRow(
                    extract_id=extract_id,
                    line_no=lines[member.membership_number],
                    membership_number=member.membership_number,
                    record=[getattr(member, c) for c in EXTRACT_COLUMNS],
                    first_seen=seen_before[member.membership_number],
                )
            )
            duplicates += 1
            continue
        fresh.append(member)
    freeze = ballots.freeze_at(ballot)
    admission.admit(
        session,
        ballot,
        extract_id,
        chunk,
        [(lines[m.membership_number], m.as_dict()) for m in fresh],
        freeze=freeze.date() if freeze else None,
        now=now,
    )
    session.add(ExtractChunk(extract_id=extract_id, chunk=chunk, rows=len(records)))
    extract.received_rows += len(records)
    extract.accepted += len(fresh)
    extract.rejected += rejected
    extract.duplicates += duplicates
    metrics.EXTRACT_ROWS.labels("accepted").inc(len(fresh))
    metrics.EXTRACT_ROWS.labels("rejected").inc(rejected)
    metrics.EXTRACT_ROWS.labels("duplicate").inc(duplicates)
    return {"chunk": chunk, "duplicate_chunk": False, **summary(extract)}


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
        "balanced": extract.declared_rows is not None
        and extract.declared_rows == extract.accepted + extract.rejected + extract.duplicates,
    }
