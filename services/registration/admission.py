"""Admitting members to a ballot's roll, from an extract or a join, and sending them to matching.

Guarantees, inside the caller's transaction:

- ``admit`` stores each member, gives them their first ledger state through
  ``ledger_writer`` (excluded with the eligibility reasons, or awaiting a match) and
  sends those awaiting a match to matching as one ``members.registered``
  event, so no member is ever stored without a state.
- ``send_to_matching`` is the one place a ``members.registered`` payload is
  built (an admitted chunk, a join, or an officer's correction).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from rollcall.formats import MATCH_FIELDS
from rollcall.messaging.outbox import emit
from services.registration import eligibility, ledger_writer
from services.registration.models import Ballot, Member


def admit(
    session: Session,
    ballot: Ballot,
    extract_id: str,
    chunk: int,
    members: Sequence[tuple[int, Mapping[str, str]]],
    *,
    freeze: date | None,
    now: datetime,
    changed_at: datetime | None = None,
) -> int:
    """Admit (line number, member fields) to ``ballot``; return how many went to matching."""
    for line_no, fields in members:
        session.add(
            Member(
                ballot_id=ballot.id,
                extract_id=extract_id,
                line_no=line_no,
                source_changed_at=changed_at,
                **fields,
            )
        )
    first_states = ledger_writer.open_entries(
        session,
        ballot.id,
        (
            (
                f["membership_number"],
                f["association"],
                eligibility.reasons(f, ballot.eligibility, freeze),
            )
            for _, f in members
        ),
        now,
    )
    to_match = [f for _, f in members if first_states[f["membership_number"]] == "awaiting_match"]
    if to_match:
        send_to_matching(session, ballot, extract_id, chunk, to_match, correlation_id=extract_id)
    return len(to_match)


def send_to_matching(
    session: Session,
    ballot: Ballot,
    extract_id: str,
    chunk: int,
    members: Sequence[Mapping[str, Any]],
    *,
    correlation_id: str | int,
) -> None:
    """Emit ``members.registered``: these members, to be matched to the ballot's area."""
    emit(
        session,
        "members.registered",
        {
            "ballot_id": ballot.id,
            "extract_id": extract_id,
            "chunk": chunk,
            "area": list(ballot.area),
            "members": [{f: m.get(f, "") for f in MATCH_FIELDS} for m in members],
        },
        correlation_id=correlation_id,
    )
