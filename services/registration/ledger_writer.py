"""The ledger's one writer: every member's state in every ballot is set here and nowhere else.

Guarantees, each inside the caller's transaction:

- ``open_entries`` gives each newly admitted member their first state
  (``awaiting_match``, or ``excluded`` with the reasons): a member and their
  ledger entry commit together, so every accepted member is in exactly one
  state.
- ``record`` applies facts (membership number, fact, reason) by the rules in
  ``ledger``. A fact that cannot apply (a member not on the ledger, or in a
  state the fact cannot move) changes nothing and never fails the batch it
  came in: it is appended to the audit log as ``ledger.move_refused`` with the
  reason, and the rest of the batch moves.
- Nothing else can write a state: ``LedgerEntry`` refuses to have its state
  or reason set, or to be created, outside this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall import audit
from services.registration.ledger import MoveRefused, initial, move
from services.registration.models import LEDGER_WRITER, LedgerEntry

#: Where a refused fact is recorded.
REFUSED = "ledger.move_refused"


@dataclass(frozen=True)
class Recorded:
    """What a batch of facts did."""

    #: who moved, in the order of the facts
    moved: list[str]
    #: membership number -> the state the member was in before the batch
    moved_from: dict[str, str]
    refused: int


@contextmanager
def _writing() -> Iterator[None]:
    token = LEDGER_WRITER.set(True)
    try:
        yield
    finally:
        LEDGER_WRITER.reset(token)


def open_entries(
    session: Session,
    ballot_id: int,
    admitted: Iterable[tuple[str, str, Sequence[str]]],
    now: datetime,
) -> dict[str, str]:
    """Enter each admitted member (number, association, exclusions); return number -> first state."""
    first_states = {}
    with _writing():
        for number, association, exclusions in admitted:
            first = initial(exclusions)
            session.add(
                LedgerEntry(
                    ballot_id=ballot_id,
                    membership_number=number,
                    association=association,
                    state=first.state,
                    reason=first.reason,
                    updated_at=now,
                )
            )
            first_states[number] = first.state
    return first_states


def record(
    session: Session,
    ballot_id: int,
    facts: Sequence[tuple[str, str, str]],
    *,
    source: str,
    actor: str | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Apply (membership number, fact, reason) in order; refusals go to the audit log."""
    now = now or datetime.now(UTC)
    entries = {
        e.membership_number: e
        for e in session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.ballot_id == ballot_id,
                LedgerEntry.membership_number.in_([n for n, _, _ in facts]),
            )
            .with_for_update()
        )
    }
    moved: list[str] = []
    moved_from: dict[str, str] = {}
    refused = 0
    for number, fact, reason in facts:
        entry = entries.get(number)
        try:
            if entry is None:
                raise MoveRefused("the member is not on this ballot's ledger")
            result = move(entry.state, fact, reason)
        except MoveRefused as exc:
            audit.append(
                session,
                actor=actor or source,
                source=source,
                action=REFUSED,
                subject=f"ballot:{ballot_id}/member:{number}",
                details={"fact": fact},
                reason=str(exc),
                at=now,
            )
            refused += 1
            continue
        if not result.changes:
            continue
        moved.append(number)
        moved_from.setdefault(number, entry.state)
        with _writing():
            entry.state, entry.reason, entry.updated_at = result.state, result.reason, now
    return Recorded(moved, moved_from, refused)


def rewrite_reasons(session: Session, ballot_id: int, rewrite: Callable[[str, str], str]) -> int:
    """Replace each reason of the ballot's ledger by ``rewrite(membership_number, reason)``,
    states untouched (for erasing the personal data a reason quotes). Returns how many
    reasons changed."""
    changed = 0
    with _writing():
        for entry in session.scalars(select(LedgerEntry).where(LedgerEntry.ballot_id == ballot_id)):
            new = rewrite(entry.membership_number, entry.reason)
            if new != entry.reason:
                entry.reason = new
                changed += 1
        session.flush()
    return changed
