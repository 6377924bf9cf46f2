"""Reminders: at each reminder time of a ballot's timetable, one reminder to every voter who has
not voted, by the channel their code reached them by.

Guarantees:

- One decision per voter, ballot and reminder time (``reminders`` has a unique
  (ballot, voter, slot) key), recorded in the transaction that records the
  reminder's delivery; the run takes the ballot's row ``FOR UPDATE`` first, so
  two mailer replicas never decide for the same ballot at once, and a run
  repeated (the timer firing again, a restart) finds its decisions and makes
  none twice. Should two decisions for one voter ever meet, the unique keys
  (here and on ``deliveries``) refuse the second and its transaction fails
  loudly rather than send twice. The dispatcher sends the delivery
  (``sending.Dispatcher``; one replica per delivery, ``claiming``), and its
  Message-ID is that of (ballot, voter, ``reminder-<slot>``).
- Only the latest reminder time that has come is served: a mailer that was
  down across two reminder times sends one reminder, not two at once. A run
  walks the voters in membership number order, a chunk a transaction, and
  once it has walked them all the reminder time is finished
  (``reminder_runs``): later runs skip it, so a timer tick costs the same
  however many voters there are, and a voter whose first code is recorded
  after that waits for the next reminder time.
- None while the ballot is not open (a draft, paused or closed ballot), and none
  at or after the timetable's ``closes_at``; a reminder recorded but not yet
  sent when the ballot closes is cancelled (``cancel_after_close``), and the
  dispatcher sends reminders of open ballots only.
- Who has voted comes from the mailer's own read model of the marked register
  (``voted``, fed by ``ballots.marked``): services meet only through messages.
  It is asked twice: when the reminder is decided, and again by the
  dispatcher just before it sends (``drop_voted``).
- A voter whose code went by email is reminded by email; one whose code was
  posted (or whose email fell back to a letter) by a letter in the next postal
  batch. A voter whose code is still on its way, or never reached them, is not
  reminded (``skipped_awaiting_code``, ``skipped_not_reached``): a reminder
  cannot reach where the code could not. Nor is a voter withdrawn from the
  ballot (``voters.withdrawn``: their code was revoked) after their latest code
  went (``skipped_withdrawn``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.mailer.letters import REMINDER, is_test
from services.mailer.models import Ballot, Delivery, Reminder, ReminderRun, Voted, Withdrawn

EMAIL, LETTER = "email", "letter"
SKIPPED_VOTED = "skipped_voted"
SKIPPED_AWAITING_CODE = "skipped_awaiting_code"
SKIPPED_NOT_REACHED = "skipped_not_reached"
SKIPPED_WITHDRAWN = "skipped_withdrawn"
#: A reminder recorded before the close and not yet sent when the ballot closed.
CANCELLED = "cancelled_closed"
#: Voters decided per transaction.
CHUNK = 500


# -- the rules (pure) ----------------------------------------------------------------------------


def reminder_kind(slot: datetime) -> str:
    """The delivery kind of the reminder at ``slot``: one per voter, ballot and reminder time."""
    return f"{REMINDER}{slot.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def slots(timetable: Mapping[str, Any] | None) -> list[datetime]:
    """The timetable's reminder times, earliest first."""
    return sorted(datetime.fromisoformat(at) for at in (timetable or {}).get("reminders") or [])


def why_not_now(phase: str, timetable: Mapping[str, Any] | None, now: datetime) -> list[str]:
    """Why a ballot gets no reminder at ``now`` (empty: it may)."""
    reasons = []
    if phase != "open":
        reasons.append(f"the ballot is {phase}, not open")
    closes = (timetable or {}).get("closes_at")
    if closes and now >= datetime.fromisoformat(closes):
        reasons.append(f"voting closed at {closes}")
    if not any(at <= now for at in slots(timetable)):
        reasons.append("no reminder time has come")
    return reasons


def due_slot(phase: str, timetable: Mapping[str, Any] | None, now: datetime) -> datetime | None:
    """The reminder time to serve at ``now``: the latest that has come; None if none may go."""
    if why_not_now(phase, timetable, now):
        return None
    return max(at for at in slots(timetable) if at <= now)


@dataclass(frozen=True)
class CodeDelivery:
    """How a voter's latest access code went: ``status`` sent | queued | pending | failed."""

    status: str
    channel: str


def outcome(has_voted: bool, code: CodeDelivery, withdrawn: bool = False) -> str:
    """What a voter gets at a reminder time: ``email`` or ``letter``, or why nothing.
    ``withdrawn``: the voter was withdrawn from the ballot after their latest code went."""
    if has_voted:
        return SKIPPED_VOTED
    if withdrawn:
        return SKIPPED_WITHDRAWN
    if code.status == "pending":
        return SKIPPED_AWAITING_CODE
    if code.status not in ("sent", "queued"):
        return SKIPPED_NOT_REACHED
    return LETTER if code.channel == "post" else EMAIL


# -- the run (in the caller's transactions) ------------------------------------------------------


def record_marks(session: Session, marks: Sequence[Mapping[str, Any]], now: datetime) -> None:
    """Keep the marked register's read model from ``ballots.marked`` payloads: each voter has
    voted (once, however often told). One query per ballot finds who is already recorded."""
    by_ballot: dict[int, dict[str, str]] = {}
    for mark in marks:
        by_ballot.setdefault(mark["ballot_id"], {}).setdefault(
            mark["membership_number"], mark["channel"]
        )
    for ballot_id, channels in by_ballot.items():
        known = set(
            session.scalars(
                select(Voted.membership_number).where(
                    Voted.ballot_id == ballot_id, Voted.membership_number.in_(channels)
                )
            )
        )
        session.add_all(
            Voted(ballot_id=ballot_id, membership_number=number, channel=channel, recorded_at=now)
            for number, channel in channels.items()
            if number not in known
        )


def record_withdrawal(session: Session, ballot_id: int, numbers: list[str], now: datetime) -> None:
    """Keep who was withdrawn from the ballot (``voters.withdrawn``), and when they last were."""
    for number in numbers:
        row = session.get(Withdrawn, (ballot_id, number))
        if row is None:
            session.add(Withdrawn(ballot_id=ballot_id, membership_number=number, withdrawn_at=now))
        else:
            row.withdrawn_at = now


def due_ballots(session: Session, now: datetime) -> list[tuple[int, datetime]]:
    """(ballot, reminder time) of every ballot with a reminder time to serve at ``now`` whose
    run has not finished."""
    finished = set(session.execute(select(ReminderRun.ballot_id, ReminderRun.slot)).tuples())
    due = []
    for ballot in session.scalars(select(Ballot).where(Ballot.phase == "open")):
        slot = due_slot(ballot.phase, ballot.timetable, now)
        if slot is not None and (ballot.ballot_id, slot) not in finished:
            due.append((ballot.ballot_id, slot))
    return due


def _latest_codes(
    session: Session, ballot_id: int, after: str, limit: int
) -> tuple[list[Delivery], str | None]:
    """The latest access code delivery of each of the next voters after ``after`` (in
    membership number order, through the deliveries' unique index), and the last voter they
    reach; None when there are no more."""
    is_code = ~Delivery.kind.startswith("notice") & ~Delivery.kind.startswith(REMINDER)
    rows = session.scalars(
        select(Delivery)
        .where(Delivery.ballot_id == ballot_id, Delivery.membership_number > after, is_code)
        .order_by(Delivery.membership_number, Delivery.id)
        .limit(limit)
    ).all()
    if not rows:
        return [], None
    last = rows[-1].membership_number
    if len(rows) == limit and rows[0].membership_number != last:
        # The last voter's later deliveries may lie beyond the limit: they start the next chunk.
        rows = [r for r in rows if r.membership_number != last]
    latest = {r.membership_number: r for r in rows}  # by id within a voter: the last is latest
    # The database's order, not Python's: its collation decides what ``>`` means next time.
    return list(latest.values()), rows[-1].membership_number


def remind(
    session: Session,
    ballot_id: int,
    slot: datetime,
    now: datetime,
    after: str = "",
    limit: int = CHUNK,
) -> tuple[Counter[str], str | None]:
    """Decide the reminder at ``slot`` for the next voters after ``after`` not yet decided;
    record a delivery for each to be reminded. Returns the outcomes and where the next chunk
    starts; None when there is no next chunk (the run finished, or the slot is no longer due)."""
    ballot = session.get(Ballot, ballot_id, with_for_update=True)
    if ballot is None or due_slot(ballot.phase, ballot.timetable, now) != slot:
        return Counter(), None
    codes, reached = _latest_codes(session, ballot_id, after, limit)
    if reached is None:
        if session.get(ReminderRun, (ballot_id, slot)) is None:
            session.add(ReminderRun(ballot_id=ballot_id, slot=slot, finished_at=now))
        return Counter(), None
    numbers = [c.membership_number for c in codes]
    done = set(
        session.scalars(
            select(Reminder.membership_number).where(
                Reminder.ballot_id == ballot_id,
                Reminder.slot == slot,
                Reminder.membership_number.in_(numbers),
            )
        )
    )
    codes = [c for c in codes if c.membership_number not in done]
    voted = set(
        session.scalars(
            select(Voted.membership_number).where(
                Voted.ballot_id == ballot_id, Voted.membership_number.in_(numbers)
            )
        )
    )
    withdrawn: dict[str, datetime] = {
        w.membership_number: w.withdrawn_at
        for w in session.scalars(
            select(Withdrawn).where(
                Withdrawn.ballot_id == ballot_id, Withdrawn.membership_number.in_(numbers)
            )
        )
    }
    kind = reminder_kind(slot)
    outcomes: Counter[str] = Counter()
    decisions: list[tuple[str, str, Delivery | None]] = []
    for code in codes:
        number = code.membership_number
        since = number in withdrawn and withdrawn[number] >= code.created_at
        decided = outcome(number in voted, CodeDelivery(code.status, code.channel), since)
        delivery = None
        if decided in (EMAIL, LETTER):
            delivery = Delivery(
                ballot_id=ballot_id,
                membership_number=number,
                kind=kind,
                channel=code.channel,
                status="pending",
                contact={**code.contact, "code_channel": code.channel},
                attempts=0,
                last_error="",
                created_at=now,
            )
        decisions.append((number, decided, delivery))
        outcomes[decided] += 1
    # One flush gives every new delivery its id (a batched insert), for the decisions to name.
    session.add_all([d for _, _, d in decisions if d is not None])
    session.flush()
    session.add_all(
        [
            Reminder(
                ballot_id=ballot_id,
                membership_number=number,
                slot=slot,
                outcome=decided,
                delivery_id=delivery.id if delivery else None,
                created_at=now,
            )
            for number, decided, delivery in decisions
        ]
    )
    return outcomes, reached


def _closed(ballot: Ballot, now: datetime) -> bool:
    closes = (ballot.timetable or {}).get("closes_at")
    return ballot.phase in ("closed", "counted") or bool(
        closes and now >= datetime.fromisoformat(closes)
    )


def cancel_after_close(session: Session, now: datetime, tests: Counter[str] | None = None) -> int:
    """Cancel reminders not yet sent of ballots that closed (by phase or by ``closes_at``).
    How many; those of test ballots go into ``tests`` instead, when given."""
    ballots = [b for b in session.scalars(select(Ballot)) if _closed(b, now)]
    closed = [b.ballot_id for b in ballots]
    if not closed:
        return 0
    pending = session.scalars(
        select(Delivery)
        .where(Delivery.status == "pending", Delivery.kind.startswith(REMINDER))
        .where(Delivery.ballot_id.in_(closed))
        .with_for_update()
    ).all()
    for d in pending:
        d.status, d.done_at = "failed", now
        d.last_error = "not sent: voting closed before the reminder went"
    if pending:
        session.execute(
            update(Reminder)
            .where(Reminder.delivery_id.in_([d.id for d in pending]))
            .values(outcome=CANCELLED)
        )
    if tests is None:
        return len(pending)
    test_ids = {b.ballot_id for b in ballots if is_test(b.timetable)}
    in_tests = sum(1 for d in pending if d.ballot_id in test_ids)
    tests[CANCELLED] += in_tests
    return len(pending) - in_tests


def drop_voted(session: Session, ids: list[int], now: datetime) -> tuple[set[int], set[int]]:
    """Of the pending reminder deliveries ``ids``, settle those whose voter has voted since the
    reminder was decided: not sent (again), and the decision becomes ``skipped_voted``. Their
    ids, and those of them a mailer that stopped had handed to the mail server without an
    answer (``sending_at``): they may have gone, and say so."""
    dropped = session.scalars(
        select(Delivery)
        .join(
            Voted,
            (Voted.ballot_id == Delivery.ballot_id)
            & (Voted.membership_number == Delivery.membership_number),
        )
        .where(Delivery.id.in_(ids), Delivery.status == "pending")
        .with_for_update(of=Delivery)
    ).all()
    maybe = set()
    for d in dropped:
        d.status, d.done_at = "failed", now
        d.last_error = "not sent: the voter voted before the reminder went"
        if d.sending_at is not None:
            maybe.add(d.id)
            d.last_error = (
                "may have been emailed: the mailer stopped while the mail server had it;"
                " not sent again, the voter has voted since"
            )
    if dropped:
        session.execute(
            update(Reminder)
            .where(Reminder.delivery_id.in_([d.id for d in dropped]))
            .values(outcome=SKIPPED_VOTED)
        )
    return {d.id for d in dropped}, maybe


def run(
    transaction: Callable[[], AbstractContextManager[Session]],
    now: datetime,
    tests: Counter[str] | None = None,
) -> Counter[str]:
    """One reminder run: cancel what the close made pointless, then serve every due reminder
    time, a chunk a transaction. Returns the outcomes it recorded; those of test ballots go
    into ``tests`` instead, when given (they are counted apart from real ballots')."""
    outcomes: Counter[str] = Counter()
    with transaction() as session:
        outcomes[CANCELLED] += cancel_after_close(session, now, tests)
        due = due_ballots(session, now)
        test_ids = test_ballots(session) if tests is not None else set()
    for ballot_id, slot in due:
        into = tests if tests is not None and ballot_id in test_ids else outcomes
        after: str | None = ""
        while after is not None:
            with transaction() as session:
                chunk, after = remind(session, ballot_id, slot, now, after)
            into.update(chunk)
    return +outcomes


def test_ballots(session: Session) -> set[int]:
    """The ballots the mailer knows to be test ballots (``letters.is_test``)."""
    rows = session.execute(select(Ballot.ballot_id, Ballot.timetable)).all()
    return {ballot_id for ballot_id, timetable in rows if is_test(timetable)}


def counts(session: Session, ballot_id: int) -> dict[str, Any]:
    """What the reminder runs of a ballot decided, per reminder time, and how each delivery went."""
    rows = session.execute(
        select(Reminder.slot, Reminder.outcome, Delivery.status, func.count())
        .outerjoin(Delivery, Delivery.id == Reminder.delivery_id)
        .where(Reminder.ballot_id == ballot_id)
        .group_by(Reminder.slot, Reminder.outcome, Delivery.status)
        .order_by(Reminder.slot)
    ).all()
    by_slot: dict[str, dict[str, int]] = {}
    for slot, decided, status, n in rows:
        settled_here = decided in (CANCELLED, SKIPPED_VOTED)
        shown = decided if status is None or settled_here else delivered(decided, status)
        per = by_slot.setdefault(slot.astimezone(UTC).isoformat(), {})
        per[shown] = per.get(shown, 0) + n
    total: Counter[str] = Counter()
    for per in by_slot.values():
        total.update(per)
    return {"ballot_id": ballot_id, "slots": by_slot, "total": dict(total)}


def delivered(decided: str, status: str) -> str:
    """A reminder's outcome once its delivery has gone: ``sent`` (an email), ``letter`` (into a
    postal batch), ``failed``; while it has not, ``<email|letter>_pending``."""
    return {"sent": "sent", "queued": LETTER, "failed": "failed"}.get(status, f"{decided}_pending")
