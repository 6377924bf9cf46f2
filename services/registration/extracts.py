"""Receiving a membership extract: begin, chunks of rows, finish.

Each function runs inside the caller's transaction. Guarantees:

- Every record received is stored exactly once as an accepted member, a
  rejected row (with its reasons) or a duplicate (with where it was first
  seen), so ``received = accepted + rejected + duplicates`` always holds.
- A chunk is idempotent: sending chunk *n* of an extract twice changes nothing
  the second time.
- Each chunk's accepted members get a ledger row (``awaiting_match``) and go
  to matching as one ``members.registered`` event, in the same transaction.
- ``finish`` refuses to complete an extract whose declared row count differs
  from what arrived, or that misses chunks; the extract stays on record, with
  the refusal, for review.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollcall import metrics
from rollcall.messaging.outbox import emit
from services.registration import eligibility
from services.registration import rows as rowrules
from services.registration.errors import BallotNotFound, ExtractNotFound, ExtractRefused
from services.registration.ledger import STATES
from services.registration.models import (
    Ballot,
    DuplicateRow,
    Extract,
    ExtractChunk,
    LedgerEntry,
    Member,
    RejectedRow,
)

MATCH_FIELDS = (
    "membership_number",
    "title",
    "first_name",
    "last_name",
    "address_1",
    "address_2",
    "address_3",
    "town",
    "postcode",
    "date_of_birth",
    "association",
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
                    record=[getattr(member, c) for c in rowrules.COLUMNS],
                    first_seen=seen_before[member.membership_number],
                )
            )
            duplicates += 1
            continue
        fresh.append(member)
    freeze = _freeze_date(ballot)
    to_match = []
    for member in fresh:
        session.add(
            Member(
                ballot_id=ballot.id,
                extract_id=extract_id,
                line_no=lines[member.membership_number],
                **member.as_dict(),
            )
        )
        excluded = eligibility.reasons(member.as_dict(), ballot.eligibility, freeze)
        session.add(
            LedgerEntry(
                ballot_id=ballot.id,
                membership_number=member.membership_number,
                association=member.association,
                state="excluded" if excluded else "awaiting_match",
                reason=f"excluded: {'; '.join(excluded)}" if excluded else STATES["awaiting_match"],
                updated_at=now,
            )
        )
        if not excluded:
            to_match.append(member)
    session.add(ExtractChunk(extract_id=extract_id, chunk=chunk, rows=len(records)))
    extract.received_rows += len(records)
    extract.accepted += len(fresh)
    extract.rejected += rejected
    extract.duplicates += duplicates
    if to_match:
        emit(
            session,
            "members.registered",
            {
                "ballot_id": ballot.id,
                "extract_id": extract_id,
                "chunk": chunk,
                "area": list(ballot.area),
                "members": [{f: getattr(m, f) for f in MATCH_FIELDS} for m in to_match],
            },
            correlation_id=extract_id,
        )
    metrics.EXTRACT_ROWS.labels("accepted").inc(len(fresh))
    metrics.EXTRACT_ROWS.labels("rejected").inc(rejected)
    metrics.EXTRACT_ROWS.labels("duplicate").inc(duplicates)
    return {"chunk": chunk, "duplicate_chunk": False, **summary(extract)}


def _freeze_date(ballot: Ballot) -> date | None:
    freeze = ballot.timetable.get("freeze_at")
    return datetime.fromisoformat(freeze).date() if freeze else None


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
